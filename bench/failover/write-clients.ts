/**
 * The four kinds of client the failover runs compare, behind one small interface:
 * plain `pg` / `mysql2` (what a typical app does: on any error, drop the connection and open
 * a new one to the cluster endpoint after a short backoff, so it follows DNS) and aurora-ha's
 * `pg` Client / `mysql2/promise` connection with default options (catch the failover errors
 * and repeat on the same connection).
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Client as AuroraPgClient } from '../../src/pg.js';
import auroraMysql, { type PromiseConnection as AuroraPromiseConnection } from '../../src/mysql2-promise.js';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/index.js';
import { within } from './clock.js';

export type Engine = 'postgres' | 'mysql';
/** `failover2`: aurora-ha with `plugins: ['failover2']` (the shared topology monitor). */
export type ClientFamily = 'plain' | 'aurora-ha' | 'failover2';

/** Where the workers connect (the writer cluster endpoint) and what they write into. */
export interface WriteTarget {
  engine: Engine;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** PostgreSQL only: ask the server which instance took each write (needs the emulator's metadata functions). */
  reportInstance: boolean;
}

export interface WriteSession {
  /** One small INSERT; resolves with the id of the instance that took it when the target reports it. */
  write(group: string, worker: number): Promise<string | undefined>;
  /** Close without throwing, bounded in time (the socket may be dead). */
  close(): Promise<void>;
}

export interface WriteClient {
  readonly family: ClientFamily;
  /** e.g. `aurora-ha pg`, `plain mysql2`. */
  readonly label: string;
  open(target: WriteTarget): Promise<WriteSession>;
  /** After a failed write: repeat on the same session, or drop it and open a new one after a backoff. */
  afterError(err: unknown): 'repeat' | 'reopen';
}

export const WRITES_TABLE = 'ha_failover_writes';
const CONNECT_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 1000;

const PG_INSERT = `INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES ($1, $2)`;
const PG_INSERT_WITH_INSTANCE = `${PG_INSERT} RETURNING pg_catalog.aurora_db_instance_identifier() AS instance`;
const MYSQL_INSERT = `INSERT INTO ${WRITES_TABLE} (grp, worker) VALUES (?, ?)`;

/** What a worker needs from pg's Client and from aurora-ha's drop-in (built from either, fully typed). */
interface PgOps {
  connect(): Promise<void>;
  query(sql: string, values: unknown[]): Promise<pg.QueryResult>;
  end(): Promise<void>;
  /** Drop the socket when end() does not finish (a dead peer). */
  destroy(): void;
}

/** What a worker needs from a mysql2/promise connection and from aurora-ha's drop-in. */
interface MysqlOps {
  query(sql: string, values: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  destroy(): void;
}

function ignore(): void {
  // errors of an idle connection surface on its next query; nothing to do here
}

function plainPgOps(client: pg.Client): PgOps {
  client.on('error', ignore);
  return {
    connect: async () => {
      await client.connect();
    },
    query: (sql, values) => client.query(sql, values),
    end: () => client.end(),
    destroy: () => client.connection.stream.destroy(),
  };
}

function auroraPgOps(client: AuroraPgClient): PgOps {
  client.on('error', ignore);
  return {
    connect: async () => {
      await client.connect();
    },
    query: (sql, values) => client.query(sql, values),
    end: () => client.end(),
    destroy: () => client.nativeClient?.connection.stream.destroy(),
  };
}

function mysqlOps(conn: mysql.Connection | AuroraPromiseConnection): MysqlOps {
  conn.on('error', ignore);
  return {
    query: (sql, values) => conn.query(sql, values),
    end: () => conn.end(),
    destroy: () => conn.destroy(),
  };
}

async function openPgSession(client: PgOps, target: WriteTarget): Promise<WriteSession> {
  const close = async (): Promise<void> => {
    const ended = await within(
      client.end().then(
        () => true,
        () => true,
      ),
      CLOSE_TIMEOUT_MS,
      false,
    );
    if (!ended) client.destroy();
  };
  try {
    await client.connect();
  } catch (err) {
    await close();
    throw err;
  }
  const sql = target.reportInstance ? PG_INSERT_WITH_INSTANCE : PG_INSERT;
  return {
    async write(group, worker) {
      const result = await client.query(sql, [group, worker]);
      const instance = result.rows[0]?.instance;
      return typeof instance === 'string' ? instance : undefined;
    },
    close,
  };
}

function mysqlSession(conn: MysqlOps): WriteSession {
  return {
    async write(group, worker) {
      await conn.query(MYSQL_INSERT, [group, worker]);
      return undefined;
    },
    async close() {
      const ended = await within(
        conn.end().then(
          () => true,
          () => false,
        ),
        CLOSE_TIMEOUT_MS,
        false,
      );
      if (!ended) conn.destroy();
    },
  };
}

function pgConfig(target: WriteTarget): pg.ClientConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  };
}

function mysqlConfig(target: WriteTarget): mysql.ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
}

function isFailoverRecovered(err: unknown): boolean {
  return err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError;
}

export const plainPg: WriteClient = {
  family: 'plain',
  label: 'plain pg',
  open: (target) => openPgSession(plainPgOps(new pg.Client(pgConfig(target))), target),
  afterError: () => 'reopen',
};

/** aurora-ha's options for a run: none (the library's defaults) or another plugin list. */
export interface AuroraOptions {
  plugins?: readonly string[];
  /** aurora-ha's failoverReconnectConcurrency (default: the library's). */
  failoverReconnectConcurrency?: number;
}

function auroraLabel(base: string, options: AuroraOptions): string {
  return options.plugins === undefined ? base : `${base} [${options.plugins.join(',')}]`;
}

export function auroraPg(options: AuroraOptions = {}): WriteClient {
  return {
    family: 'aurora-ha',
    label: auroraLabel('aurora-ha pg', options),
    open: (target) =>
      openPgSession(auroraPgOps(new AuroraPgClient({ ...pgConfig(target), ...options })), target),
    afterError: (err) => (isFailoverRecovered(err) ? 'repeat' : 'reopen'),
  };
}

export const plainMysql: WriteClient = {
  family: 'plain',
  label: 'plain mysql2',
  open: async (target) => mysqlSession(mysqlOps(await mysql.createConnection(mysqlConfig(target)))),
  afterError: () => 'reopen',
};

export function auroraMysql2(options: AuroraOptions = {}): WriteClient {
  return {
    family: 'aurora-ha',
    label: auroraLabel('aurora-ha mysql2', options),
    open: async (target) =>
      mysqlSession(mysqlOps(await auroraMysql.createConnection({ ...mysqlConfig(target), ...options }))),
    afterError: (err) => (isFailoverRecovered(err) ? 'repeat' : 'reopen'),
  };
}

export function writeClient(engine: Engine, family: ClientFamily, options: AuroraOptions = {}): WriteClient {
  if (family === 'failover2') {
    const v2 = { ...options, plugins: ['failover2'] };
    return { ...(engine === 'postgres' ? auroraPg(v2) : auroraMysql2(v2)), family };
  }
  if (engine === 'postgres') return family === 'plain' ? plainPg : auroraPg(options);
  return family === 'plain' ? plainMysql : auroraMysql2(options);
}
