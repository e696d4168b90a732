/**
 * The default plugins (no aurora-ha option: initialConnection, failover2, hostMonitoring at
 * 30000 / 5000 / 3) never abort a healthy statement because the client itself stalled:
 * - a statement running longer than the detection bound (grace + one sampling period + count ×
 *   interval = 46 s) + 4 s, i.e. 50 s, completes while the client's event loop is blocked for 2 s
 *   on the way;
 * - a client process stopped (SIGSTOP) for 20 s in the middle of a long statement and then
 *   continued sees no abort, no failover and no error.
 * Why it holds: a probe only fails on a network error or its own 5 s bound, a stall makes at most
 * one probe miss its bound (the next probe, sent after the stall, is answered), and three misses
 * in a row are needed to abort (ARCHITECTURE.md › Decisions, host monitoring defaults).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = path.join(import.meta.dirname, '../support/stall-child.ts');

interface Seen {
  failovers: number;
  errors: string[];
  result: unknown;
  after: unknown;
  blockedMs?: number;
}

/**
 * A child process (its own cluster, a client with the default plugins) runs one long statement;
 * `stall` is what happens to the child meanwhile: `block` = it blocks its own event loop for 2 s
 * 33 s into the statement (probing has started: grace 30 s), `stop` = SIGSTOP 32 s in, SIGCONT 20 s
 * later (the probe under way and its bound resume together). Each case lives in its own process,
 * so the three run at once (they mostly wait: ~60 s for the file instead of ~170 s one after the
 * other) and no case's stall delays another's timers.
 */
function runStalled(engine: string, seconds: number, stall: 'block' | 'stop'): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const args = [CHILD, engine, String(seconds), ...(stall === 'block' ? ['33'] : [])];
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let ready = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!ready && out.includes('ready\n')) {
        ready = true;
        if (stall === 'stop') {
          setTimeout(() => {
            child.kill('SIGSTOP');
            setTimeout(() => child.kill('SIGCONT'), 20_000);
          }, 32_000);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`child exited ${code}: ${out}`));
      else resolve(JSON.parse(last) as Seen);
    });
  });
}

function expectUntouched(seen: Seen): void {
  expect(seen.errors).toEqual([]);
  expect(seen.failovers).toBe(0);
  expect(seen.result).toEqual({ done: 1 });
  expect(seen.after).toEqual({ one: 1 });
}

describe.concurrent('default plugins, a long healthy statement through a client stall', () => {
  it(
    'PostgreSQL: runs 50 s (past the 46 s detection bound) through a 2 s event-loop block',
    { timeout: 120_000 },
    async () => {
      const seen = await runStalled('postgres', 50, 'block');
      expect(seen.blockedMs).toBeGreaterThanOrEqual(2_000);
      expectUntouched(seen);
    },
  );
  it.each(['postgres', 'mysql'])(
    '%s: a client stopped for 20 s sees no abort, no failover and no error',
    { timeout: 180_000 },
    async (engine) => {
      expectUntouched(await runStalled(engine, 55, 'stop'));
    },
  );
});
