/**
 * Issue 28: every public awaited emulator operation keeps the process alive until it settles.
 * A child process with nothing else alive (no timer, no server) runs startCluster, failover
 * (with a promotion delay too), switchover, crash, reboot, settled and stop — and writes
 * through a failover with failover v1, failover2, a pg Pool and a mysql2 pool — then must
 * exit 0 with its last line printed. Before the fix `stop()` right after a MySQL failover
 * ended the process with exit code 13 (an unsettled top-level await) about one run in two.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = resolve(import.meta.dirname, '../support/awaited-exit-child.ts');

interface ChildRun {
  code: number | null;
  lines: string[];
  /** The child's stderr: aurora-ha's NODE_DEBUG log, shown when the run fails. */
  log: string;
}

/** Killed well before the test's own timeout, so a hang fails with the child's transcript. */
const CHILD_KILL_MS = 120_000;

function runChild(engine: string, scenario: string, rounds: number): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, engine, scenario, String(rounds)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_DEBUG: 'aurora-ha' },
    });
    let output = '';
    let log = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    killer.unref();
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolveRun({ code, lines: output.trim().split('\n'), log });
    });
  });
}

async function expectCleanExit(engine: string, scenario: string, rounds = 1): Promise<string[]> {
  const run = await runChild(engine, scenario, rounds);
  const transcript = `${run.lines.join('\n')}\n--- stderr (NODE_DEBUG=aurora-ha) ---\n${run.log}`;
  expect(run.code, transcript).toBe(0);
  expect(run.lines.at(-1), transcript).toBe('stopped');
  expect(run.lines.filter((l) => /^round \d+: stopped$/.test(l))).toHaveLength(rounds);
  return run.lines;
}

describe.each(['mysql', 'postgres'])('%s: awaited operations keep the process alive', (engine) => {
  it(
    'stop() 0 to 1200 ms after failover(), promotion delay 0 and 3000 ms, 6 rounds',
    { timeout: 150_000 },
    async () => {
      await expectCleanExit(engine, 'stop-after-failover', 6);
    },
  );

  it('failover, switchover, crash, reboot, settled, stop', { timeout: 150_000 }, async () => {
    const lines = await expectCleanExit(engine, 'operations');
    expect(lines.some((l) => l.startsWith('rebooted '))).toBe(true);
  });

  it('connect() through initialConnection to a refusing endpoint rejects after its retries', async () => {
    const lines = await expectCleanExit(engine, 'refused-connect');
    expect(lines).toContain('rejected: UNAVAILABLE_HOST');
  });

  it.each(['failover', 'failover2', 'pool'])(
    'writes through a failover (%s), then ends and stops',
    { timeout: 150_000 },
    async (scenario) => {
      const lines = await expectCleanExit(engine, scenario);
      expect(lines.some((l) => / ended$/.test(l))).toBe(true);
    },
  );
});
