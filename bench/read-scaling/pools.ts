/**
 * The two reader pools the benchmark compares, for both engines, behind one engine-neutral shape:
 * a plain driver pool (`pg.Pool`, `mysql2/promise` `createPool`) and aurora-ha's (`Pool` from
 * src/pg.ts, `createPool` from src/mysql2-promise.ts, default plugins + `leastConnections`), both
 * on the cluster's reader endpoint. A read returns the seeded table's count and sum with the
 * answering instance and session, so the run can check the rows and see where each connection is.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { createPool as auroraMysqlPool } from '../../src/mysql2-promise.js';
import { Pool as AuroraPgPool } from '../../src/pg.js';
import { READS_TABLE } from './seed.js';

export type Family = 'plain' | 'aurora-ha';

export interface Read {
  /** Answering instance id (instance-N). */
  instance: string;
  /** Backend session id on that instance (pid / connection id): one per pool connection. */
  session: string;
  n: number;
  s: number;
}

export interface ReaderPool {
  readonly label: string;
  read(): Promise<Read>;
  end(): Promise<void>;
}

const PG_READ = `SELECT pg_catalog.aurora_db_instance_identifier() AS instance, pg_backend_pid()::text AS session, count(*)::int AS n, coalesce(sum(v), 0)::int AS s FROM ${READS_TABLE}`;
const MYSQL_READ = `SELECT @@aurora_server_id AS instance, CONNECTION_ID() AS session, count(*) AS n, coalesce(sum(v), 0) AS s FROM ${READS_TABLE}`;

function connection(c: EmulatedCluster): Record<string, string | number> {
  const { host, port } = c.readerEndpoint;
  return { host, port, ...c.credentials };
}

function mysqlRead(rows: unknown): Read {
  const row = (rows as Record<string, unknown>[])[0] ?? {};
  return {
    instance: String(row.instance),
    session: String(row.session),
    n: Number(row.n),
    s: Number(row.s),
  };
}

/** A pool of `size` connections on the reader endpoint; errors of idle connections are swallowed. */
export function readerPool(c: EmulatedCluster, family: Family, size: number): ReaderPool {
  const aurora = { readerHostSelectorStrategy: 'leastConnections' } as const;
  if (c.engine === 'postgres') {
    const pool =
      family === 'plain'
        ? new pg.Pool({ ...connection(c), max: size })
        : new AuroraPgPool({ ...connection(c), ...aurora, max: size });
    // An idle client whose reader died emits 'error' on the pool: unhandled, it kills the process.
    pool.on('error', () => undefined);
    return {
      label: family === 'plain' ? 'plain `pg` Pool' : 'aurora-ha `Pool`',
      read: async () => (await pool.query<Read>(PG_READ)).rows[0]!,
      end: () => pool.end(),
    };
  }
  const pool =
    family === 'plain'
      ? mysql.createPool({ ...connection(c), connectionLimit: size })
      : auroraMysqlPool({ ...connection(c), ...aurora, connectionLimit: size });
  return {
    label: family === 'plain' ? 'plain `mysql2` createPool' : 'aurora-ha `createPool`',
    read: async () => mysqlRead((await pool.query(MYSQL_READ))[0]),
    end: () => pool.end(),
  };
}
