/**
 * Issue 10 item 8: after a failed login (wrong password) through `aurora-ha/mysql2` — a
 * connection and a pool — the process exits by itself. The hang reported was in the emulator's
 * fault proxy (a socket whose write side had ended was reset with resetAndDestroy(), which left
 * its TCP handle half-closed and made Node's exit spin in CleanupHandles), so the child runs
 * the emulator in its own process, as a test or a demo does, and stops it before exiting.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const dir = mkdtempSync(join(tmpdir(), 'aurora-ha-m2-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** After printing `ended`, the child must be gone within this (it has nothing left to do). */
const EXIT_WITHIN_MS = 10_000;

interface ChildRun {
  code: number | null;
  output: string;
  exitAfterEndMs: number | undefined;
}

function runChild(body: string): Promise<ChildRun> {
  const file = join(dir, 'failed-login.mts');
  writeFileSync(file, body);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let endedAt: number | undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    killer.unref();
    const take = (d: Buffer): void => {
      output += d.toString();
      if (endedAt === undefined && output.includes('ended')) {
        endedAt = Date.now();
        // A hung exit fails the test well before the overall bound.
        setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS * 3).unref();
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolveRun({ code, output, exitAfterEndMs: endedAt === undefined ? undefined : Date.now() - endedAt });
    });
  });
}

describe('aurora-ha/mysql2: the process exits after a failed login', () => {
  it(
    'connection and pool with a wrong password, emulator in the same process',
    { timeout: 180_000 },
    async () => {
      const run = await runChild(`
import { startCluster } from ${JSON.stringify(`${SRC}/emulator.ts`)};
import mysql from ${JSON.stringify(`${SRC}/mysql2.ts`)};
const cluster = await startCluster({ engine: 'mysql', instances: 2 });
const config = {
  host: cluster.writerEndpoint.host,
  port: cluster.writerEndpoint.port,
  user: cluster.credentials.user,
  password: 'wrong-' + cluster.credentials.password,
  database: cluster.credentials.database,
};
const conn = mysql.createConnection(config);
const connErr = await new Promise((r) => conn.connect((err) => r(err)));
console.log('connection', connErr?.code);
const pool = mysql.createPool({ ...config, connectionLimit: 2 });
const poolErr = await new Promise((r) => pool.query('SELECT 1', (err) => r(err)));
console.log('pool', poolErr?.code);
await new Promise((r) => pool.end(() => r(undefined)));
await cluster.stop();
console.log('ended');
`);
      expect(run.output).toContain('connection ER_ACCESS_DENIED_ERROR');
      expect(run.output).toContain('pool ER_ACCESS_DENIED_ERROR');
      expect(run.output).toContain('ended');
      expect(run.code, run.output).toBe(0);
      expect(run.exitAfterEndMs).toBeLessThan(EXIT_WITHIN_MS);
    },
  );
});
