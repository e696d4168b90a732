/**
 * The same run's baseline for "after promotion" (issue 9 item 11): N fresh plain connections
 * opened at once straight to the new writer instance, each timed from connect to its first
 * write. What no client can beat on this machine at this load; aurora-ha's target is this p95
 * plus 2.25 s.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { EmulatedCluster } from '../../src/emulator.js';
import { WRITES_TABLE, type Engine, type WriteTarget } from './write-clients.js';
import { summarize } from './stats.js';

async function oneFresh(engine: Engine, host: string, target: WriteTarget): Promise<number> {
  const started = Date.now();
  const options = {
    host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
  };
  if (engine === 'postgres') {
    const c = new pg.Client({ ...options, connectionTimeoutMillis: 30_000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query(`INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES ('baseline', 0)`);
      return Date.now() - started;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  const c = await mysql.createConnection({ ...options, connectTimeout: 30_000 });
  try {
    await c.query(`INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES ('baseline', 0)`);
    return Date.now() - started;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Connect + first write (ms) of each of `n` fresh plain connections opened at once to `host`
 * (the failed ones left out; `failed` counts them). bench:fleet runs it in each process.
 */
export async function freshConnectTimes(
  engine: Engine,
  host: string,
  target: WriteTarget,
  n: number,
): Promise<{ times: number[]; failed: number }> {
  const settled = await Promise.allSettled(Array.from({ length: n }, () => oneFresh(engine, host, target)));
  const times = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  return { times, failed: n - times.length };
}

/** p95 (ms) of connect + first write over `n` concurrent fresh connections to the writer. */
export async function freshConnectBaseline(
  engine: Engine,
  cluster: EmulatedCluster,
  target: WriteTarget,
  n: number,
): Promise<number | undefined> {
  const writer = cluster.instances().find((i) => i.role === 'writer');
  if (writer === undefined) return undefined;
  const { times } = await freshConnectTimes(engine, writer.host, target, n);
  return times.length === 0 ? undefined : summarize(times).p95;
}
