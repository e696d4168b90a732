// Entry point `aurora-ha/mysql2`: a drop-in for `mysql2` (every export of the module; connections
// and pools are aurora-ha's, everything else is mysql2's own).
import './otel/install.js';
import mysql from 'mysql2';
import type { WrapperOptions } from './core/wrapper-options.js';
import { bindMysql2Module } from './facades/mysql2/bound-module.js';
import type { BoundMysql2Module } from './facades/mysql2/bound-module.js';
import { Connection, createConnection } from './facades/mysql2/connection.js';
import { Pool, PoolConnection, createPool } from './facades/mysql2/pool.js';
import { PoolCluster, createPoolCluster } from './facades/mysql2/pool-cluster.js';
import * as promiseEntry from './mysql2-promise.js';

export { Connection, createConnection, Pool, PoolConnection, createPool, PoolCluster, createPoolCluster };
export type { AuroraConnectionOptions } from './facades/mysql2/mysql2-native.js';
export type { AuroraPoolOptions } from './facades/mysql2/pool.js';

/** mysql2's module as a plain record: the members below are mysql2's own. */
const native = mysql as unknown as Record<string, unknown> & typeof mysql;

export const connect = createConnection;
export const escape = mysql.escape;
export const escapeId = mysql.escapeId;
export const format = mysql.format;
export const raw = mysql.raw;
export const Types = mysql.Types;
export const ConnectionConfig = native.ConnectionConfig;
export const createQuery = native.createQuery;
export const createServer = mysql.createServer;
export const authPlugins = native.authPlugins;
export const TypedParameter = native.TypedParameter;
export const Charsets = native.Charsets;
export const CharsetToEncoding = native.CharsetToEncoding;
export const setMaxParserCache = mysql.setMaxParserCache;
export const clearParserCache = mysql.clearParserCache;
export const createConnectionPromise = promiseEntry.createConnection;
export const createPoolPromise = promiseEntry.createPool;
export const createPoolClusterPromise = promiseEntry.createPoolCluster;

const auroraMysql = {
  Connection,
  createConnection,
  connect,
  Pool,
  PoolConnection,
  createPool,
  PoolCluster,
  createPoolCluster,
  escape,
  escapeId,
  format,
  raw,
  Types,
  ConnectionConfig,
  createQuery,
  createServer,
  authPlugins,
  TypedParameter,
  Charsets,
  CharsetToEncoding,
  setMaxParserCache,
  clearParserCache,
  createConnectionPromise,
  createPoolPromise,
  createPoolClusterPromise,
};
export default auroraMysql;

/** This module with aurora-ha options bound: every connection and pool it makes uses them (docs/orms.md). */
export const createDriver = (options?: WrapperOptions): BoundMysql2Module<typeof auroraMysql> =>
  bindMysql2Module(auroraMysql, options);
