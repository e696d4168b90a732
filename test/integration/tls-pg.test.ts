/**
 * TLS end to end on PostgreSQL (emulator `tls: true`: ssl=on, hostssl-only client rules) with
 * aurora-ha's pg Client: the shared suite (tls-suite.ts), plus the server's own view
 * (pg_stat_ssl) of every session of the test user.
 */
import pg from 'pg';
import { describe } from 'vitest';
import type { DriverAdapter } from '../../src/drivers/driver.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { Client } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { tlsSuite } from './tls-suite.js';

describe('TLS end to end on PostgreSQL', () => {
  tlsSuite<Client>({
    engine: 'postgres',
    make: (cluster, host, ssl, options) =>
      new Client({ ...pgConfig(cluster, host), ssl: ssl as pg.ClientConfig['ssl'], ...options }),
    run: (c, sql) => c.query(sql),
    async instanceId(c) {
      const r = await c.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
      return r.rows[0]!.id;
    },
    verifiedSsl: (ca) => ({ ca, rejectUnauthorized: true }),
    adapter: pgAdapter as DriverAdapter<never>,
    driverConfig: (cluster, ssl) => ({ ...pgConfig(cluster), ssl }) as never,
    async serverSideTls(cluster, host) {
      const probe = new pg.Client({ ...pgConfig(cluster, host), ssl: { ca: cluster.tls!.ca } });
      probe.on('error', () => undefined);
      await probe.connect();
      try {
        const r = await probe.query<{ sessions: number; plain: number }>(
          `SELECT count(*)::int AS sessions, count(*) FILTER (WHERE s.ssl IS NOT TRUE)::int AS plain
             FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s USING (pid)
            WHERE a.usename = current_user AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`,
        );
        return r.rows[0]!;
      } finally {
        await probe.end();
      }
    },
    async rawConnect(cluster, ssl) {
      const raw = new pg.Client({
        ...pgConfig(cluster),
        ...(ssl === undefined ? { ssl: false } : { ssl: ssl as pg.ClientConfig['ssl'] }),
      });
      raw.on('error', () => undefined);
      await raw.connect();
      await raw.end();
    },
  });
});
