/**
 * One plain driver session per engine behind the same small interface, so the emulator's
 * failover-fault tests run unchanged on PostgreSQL (`pg`) and MariaDB (`mysql2`): connect to a
 * host name, run SQL, close (or destroy) it.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { AURORA_MYSQL, AURORA_PG } from '../../src/dialects/sql.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { mysqlConfig, pgConfig } from '../support/cluster.js';

export interface Session {
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface EngineSql {
  /** Returns after about `seconds` with one row. */
  sleep(seconds: number): string;
  /** One row whose first column is 1 on a reader, 0 (false) on a writer. */
  readonly isReader: string;
  /** The instance's own id (first column). */
  readonly instanceId: string;
  /** The topology rows as the instance sees them; `writerOf` picks the writer's id. */
  readonly topology: string;
  writerOf(rows: Record<string, unknown>[]): string | undefined;
}

export const SQL: Record<'postgres' | 'mysql', EngineSql> = {
  postgres: {
    sleep: (s) => `SELECT pg_sleep(${s}) AS slept`,
    isReader: AURORA_PG.isReader,
    instanceId: AURORA_PG.instanceId,
    topology: AURORA_PG.topology,
    writerOf: (rows) => rows.find((r) => r.is_writer === true)?.server_id as string | undefined,
  },
  mysql: {
    sleep: (s) => `SELECT SLEEP(${s}) AS slept`,
    isReader: AURORA_MYSQL.isReader,
    instanceId: AURORA_MYSQL.instanceId,
    topology: AURORA_MYSQL.topology,
    writerOf: (rows) => rows.find((r) => Number(r.IS_WRITER) === 1)?.SERVER_ID as string | undefined,
  },
};

/** Open a session of the test user on `host`; `connectTimeoutMs` 0 = wait forever. */
export async function openSession(
  c: EmulatedCluster,
  host: string,
  connectTimeoutMs = 5000,
): Promise<Session> {
  if (c.engine === 'postgres') {
    const client = new pg.Client({ ...pgConfig(c, host), connectionTimeoutMillis: connectTimeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    return {
      query: async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
      close: () => client.end().catch(() => undefined),
    };
  }
  const conn = await mysql.createConnection({
    ...mysqlConfig(c, host),
    // mysql2 has no "forever": a day is the same for a test
    connectTimeout: connectTimeoutMs === 0 ? 86_400_000 : connectTimeoutMs,
  });
  conn.on('error', () => undefined);
  return {
    query: async (sql) => (await conn.query<mysql.RowDataPacket[]>(sql))[0],
    close: () => {
      conn.destroy();
      return Promise.resolve();
    },
  };
}

/** Tracks a promise's outcome without ever leaving a rejection unhandled. */
export function watch<T>(p: Promise<T>): {
  settled: () => boolean;
  outcome: Promise<{ ok: boolean; value: unknown }>;
} {
  let done = false;
  const outcome = p.then(
    (value) => ((done = true), { ok: true, value }),
    (err: unknown) => ((done = true), { ok: false, value: err }),
  );
  return { settled: () => done, outcome };
}

export function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until `ok` or `ms` elapsed; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await sleep(100);
    last = await probe();
  }
  return last;
}

export function roleOf(c: EmulatedCluster, id: string): string | undefined {
  return c.instances().find((i) => i.id === id)?.role;
}

export function hostOf(c: EmulatedCluster, id: string): string {
  const i = c.instances().find((x) => x.id === id);
  if (!i) throw new Error(`no instance ${id}`);
  return i.host;
}
