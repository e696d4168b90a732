/**
 * The ledger: a table of uniquely keyed writes. Workers record every key whose write was
 * acknowledged (autocommit insert resolved, or COMMIT resolved); at the end every one of them
 * must be in the table on the writer. Setup and the final read use the plain driver as the test
 * user (TLS with the cluster's CA when it serves TLS only); the sessions left are counted as the
 * workload's own login (auth.ts), through aurora-ha with only its auth plugin when there is one.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';
import type { SoakLogin } from './auth.js';

export const LEDGER_TABLE = 'soak_ledger';

function writerHost(cluster: EmulatedCluster): string {
  const w = cluster.instances().find((i) => i.role === 'writer');
  if (w === undefined) throw new Error('soak: the cluster has no writer');
  return w.host;
}

async function withPlain<T>(
  cluster: EmulatedCluster,
  host: string,
  work: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const { user, password, database } = cluster.credentials;
  const port = cluster.writerEndpoint.port;
  const ssl = cluster.tls ? { ssl: { ca: cluster.tls.ca } } : {};
  if (cluster.engine === 'postgres') {
    const client = new pg.Client({
      host,
      port,
      user,
      password,
      database,
      connectionTimeoutMillis: 5000,
      ...ssl,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(async (sql) => (await client.query<Record<string, unknown>>(sql)).rows);
    } finally {
      await client.end();
    }
  }
  const conn = await mysql.createConnection({
    host,
    port,
    user,
    password,
    database,
    connectTimeout: 5000,
    ...ssl,
  });
  conn.on('error', () => undefined);
  try {
    return await work(async (sql) => ((await conn.query(sql)) as [Record<string, unknown>[], unknown])[0]);
  } finally {
    await conn.end();
  }
}

export async function createLedger(cluster: EmulatedCluster): Promise<void> {
  const ddl =
    cluster.engine === 'postgres'
      ? `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (k text PRIMARY KEY, worker int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`
      : `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (k VARCHAR(64) PRIMARY KEY, worker INT NOT NULL, at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`;
  await withPlain(cluster, writerHost(cluster), async (q) => {
    await q(ddl);
  });
}

/** Every key in the ledger, read on the current writer. */
export async function ledgerKeys(cluster: EmulatedCluster): Promise<Set<string>> {
  return withPlain(cluster, writerHost(cluster), async (q) => {
    const rows = await q(`SELECT k FROM ${LEDGER_TABLE}`);
    return new Set(rows.map((r) => String(r.k)));
  });
}

/** As the workload's login (its auth plugin only: no failover, no monitor) on one instance. */
async function withLogin<T>(
  cluster: EmulatedCluster,
  host: string,
  login: SoakLogin,
  work: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const options = { ...login.options, host, plugins: login.plugin === undefined ? [] : [login.plugin] };
  if (cluster.engine === 'postgres') {
    const client = new Client({ connectionTimeoutMillis: 5000, ...options });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(async (sql) => (await client.query<Record<string, unknown>>(sql)).rows);
    } finally {
      await client.end();
    }
  }
  const conn = new PromiseConnection({ connectTimeout: 5000, ...options });
  conn.on('error', () => undefined);
  await conn.connect();
  try {
    return await work(async (sql) => ((await conn.query(sql)) as [Record<string, unknown>[], unknown])[0]);
  } finally {
    await conn.end();
  }
}

/**
 * Sessions of the soak's user on one instance, not counting the asking session. With `login`
 * (a user other than the test user: `--auth iam|secrets`) the asking session is that user's own
 * (MySQL shows a user without PROCESS only its own sessions).
 */
export async function sessionsOn(cluster: EmulatedCluster, host: string, login?: SoakLogin): Promise<number> {
  const sql =
    cluster.engine === 'postgres'
      ? "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
      : "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND id <> CONNECTION_ID()";
  const count = async (q: (sql: string) => Promise<Record<string, unknown>[]>): Promise<number> =>
    Number((await q(sql))[0]?.n ?? 0);
  return login === undefined || login.plugin === undefined
    ? withPlain(cluster, host, count)
    : withLogin(cluster, host, login, count);
}
