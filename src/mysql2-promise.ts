// Entry point `aurora-ha/mysql2/promise`: a drop-in for `mysql2/promise` (every export of the
// module). Connections and pools are aurora-ha's; pools and pool clusters are wrapped by
// mysql2/promise's own promise classes.
import './otel/install.js';
import mysql from 'mysql2';
import type { WrapperOptions } from './core/wrapper-options.js';
import { bindMysql2Module } from './facades/mysql2/bound-module.js';
import type { BoundMysql2Module } from './facades/mysql2/bound-module.js';
import { PromiseConnection, createConnection } from './facades/mysql2/promise-connection.js';
import { Pool, PoolConfig } from './facades/mysql2/pool.js';
import type { AuroraPoolOptions } from './facades/mysql2/pool.js';
import type {
  Pool as Mysql2PromisePool,
  PoolConnection as Mysql2PromisePoolConnection,
} from 'mysql2/promise';
import { createPromisePoolCluster } from './facades/mysql2/pool-cluster.js';
import {
  MysqlPromisePool,
  MysqlPromisePoolConnection,
  ReadOnlyPromisePool,
} from './facades/mysql2/mysql2-promise-classes.js';

export { PromiseConnection, createConnection };
export type { AuroraConnectionOptions } from './facades/mysql2/mysql2-native.js';
export type { AuroraPoolOptions } from './facades/mysql2/pool.js';

const native = mysql as unknown as Record<string, unknown> & typeof mysql;

/** A connection of an aurora-ha promise pool: mysql2's, with readWriteSplitting's `setReadOnly` (docs/read-scaling.md). */
export type AuroraPromisePoolConnection = Mysql2PromisePoolConnection & {
  setReadOnly(readOnly: boolean): Promise<void>;
};

/** What `createPool` returns: mysql2/promise's Pool whose `getConnection()` gives AuroraPromisePoolConnection. */
export type AuroraPromisePool = { getConnection(): Promise<AuroraPromisePoolConnection> } & Mysql2PromisePool;

/** Like mysql2/promise's `createPool`: an aurora-ha pool in mysql2/promise's PromisePool. */
export function createPool(
  config: string | (AuroraPoolOptions & { Promise?: PromiseConstructor }),
): AuroraPromisePool {
  const pool = new Pool({ config: new PoolConfig(config) });
  return new ReadOnlyPromisePool(
    pool,
    typeof config === 'object' ? config.Promise : undefined,
  ) as unknown as AuroraPromisePool;
}

export const createPoolCluster = createPromisePoolCluster;
export const Connection = PromiseConnection;
export const PromisePool = MysqlPromisePool;
export const PoolConnection = MysqlPromisePoolConnection;
export const PromisePoolConnection = MysqlPromisePoolConnection;
export const escape = mysql.escape;
export const escapeId = mysql.escapeId;
export const format = mysql.format;
export const raw = mysql.raw;
export const Types = mysql.Types;
export const TypedParameter = native.TypedParameter;
export const Charsets = native.Charsets;
export const CharsetToEncoding = native.CharsetToEncoding;
export const setMaxParserCache = mysql.setMaxParserCache;
export const clearParserCache = mysql.clearParserCache;

const auroraMysqlPromise = {
  PromiseConnection,
  Connection,
  createConnection,
  createPool,
  createPoolCluster,
  PromisePool,
  PoolConnection,
  PromisePoolConnection,
  escape,
  escapeId,
  format,
  raw,
  Types,
  TypedParameter,
  Charsets,
  CharsetToEncoding,
  setMaxParserCache,
  clearParserCache,
};
export default auroraMysqlPromise;

/** This module with aurora-ha options bound: every connection and pool it makes uses them (docs/orms.md). */
export const createDriver = (options?: WrapperOptions): BoundMysql2Module<typeof auroraMysqlPromise> =>
  bindMysql2Module(auroraMysqlPromise, options);
