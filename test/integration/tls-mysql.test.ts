/**
 * TLS end to end on MariaDB with Aurora MySQL metadata (emulator `tls: true`:
 * require_secure_transport, the metadata proxy terminating TLS) with aurora-ha's
 * mysql2/promise connection: the shared suite (tls-suite.ts). The proxy terminates TLS, so
 * the server cannot vouch for the client leg: the suite's socket audit is the proof there.
 */
import mysql from 'mysql2/promise';
import { describe } from 'vitest';
import type { DriverAdapter } from '../../src/drivers/driver.js';
import { mysql2Adapter } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { tlsSuite } from './tls-suite.js';

async function rows(c: PromiseConnection, sql: string): Promise<Record<string, unknown>[]> {
  const [r] = (await c.query(sql)) as [Record<string, unknown>[], unknown];
  return r;
}

describe('TLS end to end on MariaDB (Aurora MySQL)', () => {
  tlsSuite<PromiseConnection>({
    engine: 'mysql',
    make: (cluster, host, ssl, options) =>
      new PromiseConnection({ ...mysqlConfig(cluster, host), ssl: ssl as mysql.SslOptions, ...options }),
    run: (c, sql) => c.query(sql),
    instanceId: async (c) => String((await rows(c, 'SELECT @@aurora_server_id AS id'))[0]!.id),
    verifiedSsl: (ca) => ({ ca, rejectUnauthorized: true, verifyIdentity: true }),
    adapter: mysql2Adapter as DriverAdapter<never>,
    driverConfig: (cluster, ssl) => ({ ...mysqlConfig(cluster), ssl }) as never,
    serverSideTls: () => Promise.resolve(undefined),
    async rawConnect(cluster, ssl) {
      const config: mysql.ConnectionOptions = { ...mysqlConfig(cluster) };
      if (ssl === undefined) delete config.ssl;
      else config.ssl = ssl as mysql.SslOptions;
      const raw = await mysql.createConnection(config);
      await raw.end();
    },
  });
});
