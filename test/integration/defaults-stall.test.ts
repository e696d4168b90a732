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
import { Client } from '../../src/pg.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const CHILD = path.join(import.meta.dirname, '../support/stall-child.ts');

describe('default plugins, a long healthy statement on PostgreSQL', () => {
  const cluster = useCluster({ engine: 'postgres', instances: 2 });

  it(
    'runs 50 s (past the 46 s detection bound) through a 2 s event-loop block',
    { timeout: 120_000 },
    async () => {
      const client = new Client(pgConfig(cluster()));
      let failovers = 0;
      client.on('failover', () => failovers++);
      await client.connect();
      const running = client.query('SELECT 1 AS done FROM pg_sleep(50)');
      // Block the event loop for 2 s once probing has started (grace 30 s), while probes run.
      await new Promise((r) => setTimeout(r, 33_000));
      const until = Date.now() + 2_000;
      while (Date.now() < until) {
        // busy: nothing else in this process runs meanwhile
      }
      const result = await running;
      expect(result.rows).toEqual([{ done: 1 }]);
      expect(failovers).toBe(0);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    },
  );
});

function runStalled(
  engine: string,
): Promise<{ failovers: number; errors: string[]; result: unknown; after: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, engine, '55'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let stopped = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!stopped && out.includes('ready\n')) {
        stopped = true;
        // 32 s into the statement the monitor is probing (grace 30 s, interval 5 s): stop the
        // process for 20 s, so the probe under way and its bound resume together.
        setTimeout(() => {
          child.kill('SIGSTOP');
          setTimeout(() => child.kill('SIGCONT'), 20_000);
        }, 32_000);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`child exited ${code}: ${out}`));
      else
        resolve(JSON.parse(last) as { failovers: number; errors: string[]; result: unknown; after: unknown });
    });
  });
}

describe.each(['postgres', 'mysql'])('default plugins, %s client stopped for 20 s', (engine) => {
  it('sees no abort, no failover and no error', { timeout: 180_000 }, async () => {
    const seen = await runStalled(engine);
    expect(seen.errors).toEqual([]);
    expect(seen.failovers).toBe(0);
    expect(seen.result).toEqual({ done: 1 });
    expect(seen.after).toEqual({ one: 1 });
  });
});
