/**
 * The floor a failover cannot beat on this machine: N fresh plain-driver connections opened
 * at the same moment straight to the new writer's instance name, each doing connect + one
 * INSERT. Measured right after each failover run, on the same cluster, so the failover
 * figures can be judged against the machine's load at that moment.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { summarize, type Summary } from './stats.js';
import { WRITES_TABLE, type WriteTarget } from './write-clients.js';

const CONNECT_TIMEOUT_MS = 60_000;

async function onePg(target: WriteTarget, host: string): Promise<void> {
  const c = new pg.Client({
    host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query(`INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES ($1, $2)`, ['baseline', 0]);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function oneMysql(target: WriteTarget, host: string): Promise<void> {
  const c = await mysql.createConnection({
    host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  try {
    await c.query(`INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES (?, ?)`, ['baseline', 0]);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface Baseline {
  /** connect + first INSERT, per connection that succeeded. */
  firstWrite: Summary;
  failed: number;
}

export async function measureBaseline(
  target: WriteTarget,
  host: string,
  connections: number,
): Promise<Baseline> {
  const started = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: connections }, async () => {
      await (target.engine === 'postgres' ? onePg(target, host) : oneMysql(target, host));
      return Date.now() - started;
    }),
  );
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  return { firstWrite: summarize(ok), failed: connections - ok.length };
}
