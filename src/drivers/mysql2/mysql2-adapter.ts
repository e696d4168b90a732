/**
 * The `mysql2` driver adapter (callback `Connection` as the native object): bounded,
 * abortable connect with host/port replaced, code-based classification, session state.
 */
import net from 'node:net';
import mysql from 'mysql2';
import type { Connection, ConnectionOptions } from 'mysql2';
import type { ConnectOptions, DriverAdapter, PhysicalConnection } from '../driver.js';
import type { HostInfo } from '../host-info.js';
import { hostKey } from '../host-info.js';
import { ConfigurationError } from '../../core/errors.js';
import { abortError } from '../connection-lost.js';
import { connectBounded } from '../bounded-connect.js';
import { classifyMysql2Error } from './mysql2-errors.js';
import { Mysql2PhysicalConnection, submitInternal } from './mysql2-physical-connection.js';
import { keepTlsErrorCodes } from './mysql2-tls.js';
import {
  parseSessionRow,
  readSessionSql,
  restoreSessionStatements,
  txVariableNames,
} from './mysql2-session.js';

/**
 * The user's options with host/port replaced. mysql2 lets every field parsed from `uri`
 * override the explicit ones, so the host and port inside the uri are replaced too.
 */
export function mysql2ConfigForHost(
  driverConfig: ConnectionOptions,
  host: HostInfo,
  timeoutMs?: number,
  tlsServerName?: string,
): ConnectionOptions {
  const config: ConnectionOptions = { ...driverConfig, host: host.host, port: host.port };
  delete config.socketPath;
  // mysql2 checks the certificate against `host` only (never for an address): connecting to an
  // address for a name (ConnectOptions.tlsServerName), `host` is the name and the socket goes
  // to the address.
  const byName = tlsServerName !== undefined && driverConfig.ssl !== undefined;
  if (byName) {
    config.host = tlsServerName;
    config.stream = () => net.connect({ host: host.host, port: host.port });
  }
  if (typeof driverConfig.uri === 'string' && driverConfig.uri !== '') {
    const url = parseUri(driverConfig.uri);
    const name = byName ? tlsServerName : host.host;
    url.hostname = name.includes(':') ? `[${name}]` : name;
    url.port = String(host.port);
    config.uri = url.toString();
  }
  if (timeoutMs !== undefined && timeoutMs > 0) config.connectTimeout = timeoutMs;
  return config;
}

/**
 * Node's URL parser rejects with a TypeError whose `input` property is the whole string,
 * password included (visible in util.inspect): never let it out; name the option instead.
 */
function parseUri(uri: string): URL {
  try {
    return new URL(uri);
  } catch {
    throw new ConfigurationError(
      'uri',
      'Option `uri` is not a valid URL (expected mysql://user:password@host:port/database).',
    );
  }
}

/**
 * Credentials after a `changeUser`: set on the object and, when the user gave a `uri` (whose
 * fields win over the object's in mysql2), in the uri too.
 */
export function mysql2WithCredentials(
  driverConfig: ConnectionOptions,
  change: Readonly<Record<string, unknown>>,
): ConnectionOptions {
  const config: ConnectionOptions = { ...driverConfig, ...change };
  if (typeof driverConfig.uri === 'string' && driverConfig.uri !== '') {
    const url = parseUri(driverConfig.uri);
    if (typeof change.user === 'string') url.username = encodeURIComponent(change.user);
    if (typeof change.password === 'string') url.password = encodeURIComponent(change.password);
    if (typeof change.database === 'string') url.pathname = `/${encodeURIComponent(change.database)}`;
    config.uri = url.toString();
  }
  return config;
}

function nativeOf(conn: PhysicalConnection<Connection>): Mysql2PhysicalConnection | undefined {
  return conn instanceof Mysql2PhysicalConnection ? conn : undefined;
}

function query(conn: PhysicalConnection<Connection>, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    submitInternal(conn.native, { sql }, (err: unknown) =>
      err !== null && err !== undefined ? reject(err) : resolve(),
    );
  });
}

async function connectMysql2(
  host: HostInfo,
  driverConfig: ConnectionOptions,
  options: ConnectOptions = {},
): Promise<Mysql2PhysicalConnection> {
  if (options.signal?.aborted === true)
    throw abortError(`Connect to ${hostKey(host)} aborted`, options.signal.reason);
  const native = mysql.createConnection(
    mysql2ConfigForHost(driverConfig, host, options.timeoutMs, options.tlsServerName),
  );
  keepTlsErrorCodes(native);
  const conn = new Mysql2PhysicalConnection(host, native);
  // mysql2's connectTimeout covers TCP + handshake; the bound here also covers authentication.
  const handshake = (): Promise<void> =>
    new Promise((resolve, reject) => {
      native.connect((err: unknown) => (err !== null && err !== undefined ? reject(err) : resolve()));
    });
  return connectBounded(conn, handshake, options);
}

export const mysql2Adapter: DriverAdapter<ConnectionOptions, Connection> = {
  engine: 'mysql',
  defaultPort: 3306,
  connect: connectMysql2,
  classify: classifyMysql2Error,
  withCredentials: mysql2WithCredentials,
  async readSessionState(conn) {
    const names = txVariableNames(nativeOf(conn)?.serverVersion ?? '');
    const rows = await conn.queryRows(readSessionSql(names));
    return parseSessionRow(rows[0]);
  },
  async restoreSessionState(conn, state) {
    const names = txVariableNames(nativeOf(conn)?.serverVersion ?? '');
    for (const sql of restoreSessionStatements(state, names)) await query(conn, sql);
  },
};

export { Mysql2PhysicalConnection } from './mysql2-physical-connection.js';
export { classifyMysql2Error } from './mysql2-errors.js';
