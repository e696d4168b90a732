/**
 * The `pg` driver adapter: opens a `pg.Client` to one instance with a bounded, abortable
 * connect, classifies errors, and reads / restores session state.
 */
import pg from 'pg';
import type { Client, ClientConfig } from 'pg';
import type { ConnectOptions, DriverAdapter, PhysicalConnection } from '../driver.js';
import type { HostInfo } from '../../hosts/host-info.js';
import { hostKey } from '../../hosts/host-info.js';
import { abortError, errorCode, markConnectionLost, timeoutError } from '../connection-lost.js';
import { pgConfigForHost } from './pg-config.js';
import { classifyPgError } from './pg-errors.js';
import { PgPhysicalConnection } from './pg-physical-connection.js';
import { parseSessionRow, READ_SESSION_SQL, restoreSessionSql } from './pg-session.js';

async function connectPg(
  host: HostInfo,
  driverConfig: ClientConfig,
  options: ConnectOptions = {},
): Promise<PgPhysicalConnection> {
  const { timeoutMs, signal } = options;
  const where = hostKey(host);
  if (signal?.aborted === true) throw abortError(`Connect to ${where} aborted`, signal.reason);
  const client = new pg.Client(pgConfigForHost(driverConfig, host));
  // Listeners (error included) are attached before the socket exists.
  const conn = new PgPhysicalConnection(host, client);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => {
        conn.abort();
        reject(timeoutError(`Connect to ${where} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    }
    if (signal !== undefined) {
      onAbort = () => {
        conn.abort();
        reject(abortError(`Connect to ${where} aborted`, signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  const connecting = client.connect();
  connecting.catch(() => undefined); // reported through the race; may settle after a timeout
  try {
    await Promise.race([connecting, cancelled]);
    return conn;
  } catch (err) {
    // A code-less error after the socket ended during the handshake is pg's "Connection
    // terminated" for a transport failure: remember it as a lost connection.
    if (conn.closed && errorCode(err) === undefined) markConnectionLost(err);
    conn.abort();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

export const pgAdapter: DriverAdapter<ClientConfig, Client> = {
  engine: 'postgres',
  defaultPort: 5432,
  connect: connectPg,
  classify: classifyPgError,
  async readSessionState(conn: PhysicalConnection<Client>) {
    const rows = await conn.queryRows(READ_SESSION_SQL);
    return parseSessionRow(rows[0]);
  },
  async restoreSessionState(conn: PhysicalConnection<Client>, state) {
    const sql = restoreSessionSql(state);
    if (sql !== '') await conn.native.query(sql);
  },
};

export { PgPhysicalConnection } from './pg-physical-connection.js';
export { classifyPgError } from './pg-errors.js';
