/**
 * The clients the host monitoring benchmark compares, each behind one `write()`:
 * the plain driver as a typical app uses it (on error: drop the connection, reconnect to the
 * cluster endpoint after 100 ms), the plain driver with a 5 s per-query timeout, aurora-ha with
 * `['failover']` only and aurora-ha with `['failover', 'hostMonitoring']` at 1000 / 500 / 2.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { FailoverError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';

export const BENCH_TABLE = 'ha_monitoring_bench';

export interface Writer {
  /** One INSERT; reconnects first when the previous write failed. Rejects on failure. */
  write(): Promise<void>;
  close(): void;
}

export interface Variant {
  label: string;
  open(c: EmulatedCluster): Writer;
}

const DETECTION = { failureDetectionTimeMs: 1000, failureDetectionIntervalMs: 500, failureDetectionCount: 2 };
const QUERY_TIMEOUT_MS = 5000;

function base(c: EmulatedCluster): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
} {
  const { user, password, database } = c.credentials;
  return { host: c.writerEndpoint.host, port: c.writerEndpoint.port, user, password, database };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Plain driver: a fresh connection after every error, as an app without aurora-ha would do. */
function plain(c: EmulatedCluster, queryTimeoutMs: number | undefined): Writer {
  let conn: { insert(): Promise<void>; drop(): void } | undefined;
  const open = async (): Promise<{ insert(): Promise<void>; drop(): void }> => {
    if (c.engine === 'postgres') {
      const client = new pg.Client({
        ...base(c),
        connectionTimeoutMillis: 5000,
        ...(queryTimeoutMs !== undefined ? { query_timeout: queryTimeoutMs } : {}),
      });
      client.on('error', () => undefined);
      await client.connect();
      return {
        insert: async () => {
          await client.query(`INSERT INTO ${BENCH_TABLE} (v) VALUES (1)`);
        },
        drop: () => client.connection.stream.destroy(),
      };
    }
    const m = await mysql.createConnection({ ...base(c), connectTimeout: 5000 });
    m.on('error', () => undefined);
    return {
      insert: async () => {
        await m.query({
          sql: `INSERT INTO ${BENCH_TABLE} (v) VALUES (1)`,
          ...(queryTimeoutMs !== undefined ? { timeout: queryTimeoutMs } : {}),
        });
      },
      drop: () => m.destroy(),
    };
  };
  return {
    async write() {
      try {
        conn ??= await open();
        await conn.insert();
      } catch (err) {
        conn?.drop();
        conn = undefined;
        await pause(100);
        throw err;
      }
    },
    close: () => conn?.drop(),
  };
}

/** aurora-ha: keep the connection; a failover outcome means "repeat on the same connection". */
function auroraHa(c: EmulatedCluster, options: Record<string, unknown>): Writer {
  const settings = { ...base(c), failoverTimeoutMs: 30_000, ...options };
  let ready: Promise<void>;
  let insert: () => Promise<unknown>;
  let drop: () => void;
  if (c.engine === 'postgres') {
    const client = new Client({ ...settings, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    ready = client.connect().then(() => undefined);
    insert = () => client.query(`INSERT INTO ${BENCH_TABLE} (v) VALUES (1)`);
    drop = () => void client.end().catch(() => undefined);
  } else {
    const m = new PromiseConnection({ ...settings, connectTimeout: 5000 });
    m.on('error', () => undefined);
    ready = m.connect();
    insert = () => m.query(`INSERT INTO ${BENCH_TABLE} (v) VALUES (1)`);
    drop = () => m.destroy();
  }
  return {
    async write() {
      await ready;
      try {
        await insert();
      } catch (err) {
        if (!(err instanceof FailoverError)) await pause(100);
        throw err;
      }
    },
    close: drop,
  };
}

export const VARIANTS: readonly Variant[] = [
  { label: 'plain driver', open: (c) => plain(c, undefined) },
  {
    label: `plain driver, ${QUERY_TIMEOUT_MS / 1000} s query timeout`,
    open: (c) => plain(c, QUERY_TIMEOUT_MS),
  },
  { label: "aurora-ha ['failover']", open: (c) => auroraHa(c, { plugins: ['failover'] }) },
  {
    label: "aurora-ha ['failover','hostMonitoring'] 1000/500/2",
    open: (c) => auroraHa(c, { plugins: ['failover', 'hostMonitoring'], ...DETECTION }),
  },
];
