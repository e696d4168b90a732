/**
 * Failover v2 (plugin failover2) on a real PostgreSQL cluster: the shared suite
 * (test/support/failover2-suite.ts) with aurora-ha's pg Client.
 */
import { describe } from 'vitest';
import { Client } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { failover2Suite } from '../support/failover2-suite.js';

describe('failover v2 on PostgreSQL', () => {
  failover2Suite<Client>({
    engine: 'postgres',
    make: (cluster, host, options) => new Client({ ...pgConfig(cluster, host), ...options }),
    run: (c, sql) => c.query(sql),
    async instanceId(c) {
      const r = await c.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
      return r.rows[0]!.id;
    },
    async isReader(c) {
      const r = await c.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r');
      return r.rows[0]!.r;
    },
    async count(c, sql) {
      const r = await c.query<{ n: string | number }>(sql);
      return Number(r.rows[0]!.n);
    },
    createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k text PRIMARY KEY)`,
    async topologyWriter(c) {
      const r = await c.query<{ id: string }>(
        "SELECT server_id AS id FROM pg_catalog.aurora_replica_status() WHERE session_id = 'MASTER_SESSION_ID'",
      );
      return r.rows[0]!.id;
    },
  });
});
