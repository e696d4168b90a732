/**
 * The `pg` driver adapter: opens a `pg.Client` to one instance with a bounded, abortable
 * connect, classifies errors, and reads / restores session state.
 */
import pg from 'pg';
import type { Client, ClientConfig } from 'pg';
import type { ConnectOptions, DriverAdapter, PhysicalConnection } from '../driver.js';
import type { HostInfo } from '../host-info.js';
import { hostKey } from '../host-info.js';
import { abortError } from '../connection-lost.js';
import { connectBounded } from '../bounded-connect.js';
import { runInternal } from '../../observe/internal-work.js';
import { pgConfigForHost, pgWithCredentials } from './pg-config.js';
import { classifyPgError } from './pg-errors.js';
import { PgPhysicalConnection } from './pg-physical-connection.js';
import { parseSessionRow, READ_SESSION_SQL, restoreSessionSql } from './pg-session.js';

async function connectPg(
  host: HostInfo,
  driverConfig: ClientConfig,
  options: ConnectOptions = {},
): Promise<PgPhysicalConnection> {
  if (options.signal?.aborted === true)
    throw abortError(`Connect to ${hostKey(host)} aborted`, options.signal.reason);
  const client = new pg.Client(pgConfigForHost(driverConfig, host, options.tlsServerName));
  // Listeners (error included) are attached before the socket exists.
  const conn = new PgPhysicalConnection(host, client);
  return connectBounded(conn, () => client.connect(), options);
}

export const pgAdapter: DriverAdapter<ClientConfig, Client> = {
  engine: 'postgres',
  defaultPort: 5432,
  connect: connectPg,
  classify: classifyPgError,
  withCredentials: pgWithCredentials,
  async readSessionState(conn: PhysicalConnection<Client>) {
    const rows = await conn.queryRows(READ_SESSION_SQL);
    return parseSessionRow(rows[0]);
  },
  async restoreSessionState(conn: PhysicalConnection<Client>, state) {
    const sql = restoreSessionSql(state);
    if (sql !== '') await runInternal(() => conn.native.query(sql));
  },
};

export { PgPhysicalConnection } from './pg-physical-connection.js';
export { classifyPgError } from './pg-errors.js';
