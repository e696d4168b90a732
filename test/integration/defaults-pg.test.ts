/**
 * Issue 20: the default plugins with no aurora-ha option on PostgreSQL — crash, silent writer and
 * switchover under load (the shared suite, test/support/defaults-suite.ts, says what and the bounds).
 */
import { Client, Pool } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { defaultsSuite } from '../support/defaults-suite.js';

defaultsSuite<Client, Pool>({
  engine: 'postgres',
  async connect(cluster, options = {}) {
    // pgConfig: host, port, user, password, database and pg's connectionTimeoutMillis — no aurora-ha option.
    const c = new Client({ ...pgConfig(cluster), ...options });
    await c.connect();
    return c;
  },
  onError: (c, record) => c.on('error', record),
  run: (c, sql, values) => c.query(sql, values),
  pool: (cluster, max) => new Pool({ ...pgConfig(cluster), max }),
  poolOnError: (p, record) => p.on('error', record),
  poolRun: (p, sql, values) => p.query(sql, values),
  async poolInstances(p, n) {
    const clients = await Promise.all(Array.from({ length: n }, () => p.connect()));
    try {
      return await Promise.all(
        clients.map(async (c) => {
          const r = await c.query<{ id: string; reader: boolean }>(
            'SELECT pg_catalog.aurora_db_instance_identifier() AS id, pg_catalog.pg_is_in_recovery() AS reader',
          );
          return { id: r.rows[0]!.id, reader: r.rows[0]!.reader };
        }),
      );
    } finally {
      for (const c of clients) c.release();
    }
  },
  async instanceId(c) {
    const r = await c.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
    return r.rows[0]!.id;
  },
  async isReader(c) {
    const r = await c.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r');
    return r.rows[0]!.r;
  },
  async keys(c, table) {
    const r = await c.query<{ k: string }>(`SELECT k FROM ${table}`);
    return r.rows.map((row) => row.k);
  },
  end: (c) => c.end(),
  endPool: (p) => p.end(),
  createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k text PRIMARY KEY)`,
  insert: (table) => `INSERT INTO ${table} (k) VALUES ($1)`,
  begin: 'BEGIN',
});
