/**
 * The runnable samples under examples/ (modelled on the AWS wrappers' PGFailover / MySQLFailover
 * samples) run against the emulator exactly as `npm run example:pg` / `example:mysql` do, so they
 * never rot: each must exit 0 after a real writer failover, having handled at least one failover
 * error, with every transaction applied exactly once and the connection on the new writer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Summary {
  applied: number;
  newWriter: string;
  connectedTo: string;
  errorsHandled: { FailoverSuccessError: number; TransactionResolutionUnknownError: number };
}

async function runExample(file: string): Promise<{ stdout: string; summary: Summary }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { timeout: 120_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return { stdout, summary: JSON.parse(line ?? '{}') as Summary };
}

describe('runnable samples', () => {
  it.each([['examples/pg-failover.ts'], ['examples/mysql2-failover.ts']])(
    '%s survives a writer failover and exits 0',
    async (file) => {
      const { stdout, summary } = await runExample(file);
      expect(stdout).toMatch(/^OK: /m);
      expect(summary.connectedTo).toBe(summary.newWriter);
      expect(summary.applied).toBeGreaterThanOrEqual(100);
      const handled =
        summary.errorsHandled.FailoverSuccessError + summary.errorsHandled.TransactionResolutionUnknownError;
      expect(handled).toBeGreaterThanOrEqual(1);
    },
    150_000,
  );

  // Issue 25: a service in its own process, attached to the emulator, through a failover.
  it('examples/attach-failover.ts: the attached service stores every acknowledged hit across a failover', async () => {
    const { stdout } = await runExample('examples/attach-failover.ts');
    expect(stdout).toMatch(/^OK: /m);
    const summary = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
      acknowledged: number;
      stored: number;
      newWriter: string;
      byInstance: Record<string, number>;
    };
    expect(summary.stored).toBe(summary.acknowledged);
    expect(summary.byInstance[summary.newWriter]).toBeGreaterThan(0);
  }, 150_000);

  // Issue 22: credentials at connect time (docs/secrets-manager.md, docs/iam.md).
  it.each([['examples/pg-secrets-manager.ts'], ['examples/pg-iam.ts']])(
    '%s runs through a credentials change and a failover',
    async (file) => {
      const { stdout } = await runExample(file);
      expect(stdout).toMatch(/^OK: /m);
    },
    150_000,
  );
});
