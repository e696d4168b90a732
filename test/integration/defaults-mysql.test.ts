/**
 * Issue 20: the default plugins with no aurora-ha option on MariaDB (Aurora MySQL metadata) — crash,
 * silent writer and switchover under load (the shared suite, test/support/defaults-suite.ts, says
 * what and the bounds), through aurora-ha's mysql2/promise connection and pool.
 */
import { PromiseConnection, createPool } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { defaultsSuite } from '../support/defaults-suite.js';

type Pool = ReturnType<typeof createPool>;

async function rows(
  c: { query(sql: string): Promise<unknown> },
  sql: string,
): Promise<Record<string, unknown>[]> {
  const [r] = (await c.query(sql)) as [Record<string, unknown>[], unknown];
  return r;
}

defaultsSuite<PromiseConnection, Pool>({
  engine: 'mysql',
  async connect(cluster, options = {}) {
    // mysqlConfig: host, port, user, password, database and mysql2's connectTimeout — no aurora-ha option.
    const c = new PromiseConnection({ ...mysqlConfig(cluster), ...options });
    await c.connect();
    return c;
  },
  onError: (c, record) => c.on('error', record),
  run: (c, sql, values) => c.query(sql, values),
  pool: (cluster, max) => createPool({ ...mysqlConfig(cluster), connectionLimit: max }),
  // mysql2's pool has no 'error' event: its connections' own 'error' events are what would reach the app.
  poolOnError: (p, record) => p.on('connection', (conn) => conn.on('error', record)),
  poolRun: (p, sql, values) => p.query(sql, values),
  async poolInstances(p, n) {
    const conns = await Promise.all(Array.from({ length: n }, () => p.getConnection()));
    try {
      return await Promise.all(
        conns.map(async (c) => {
          const r = (await rows(c, 'SELECT @@aurora_server_id AS id, @@innodb_read_only AS r'))[0]!;
          return { id: String(r.id), reader: Number(r.r) === 1 };
        }),
      );
    } finally {
      for (const c of conns) c.release();
    }
  },
  instanceId: async (c) => String((await rows(c, 'SELECT @@aurora_server_id AS id'))[0]!.id),
  isReader: async (c) => Number((await rows(c, 'SELECT @@innodb_read_only AS r'))[0]!.r) === 1,
  keys: async (c, table) => (await rows(c, `SELECT k FROM ${table}`)).map((r) => String(r.k)),
  end: (c) => c.end(),
  endPool: (p) => p.end(),
  createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k varchar(64) PRIMARY KEY)`,
  insert: (table) => `INSERT INTO ${table} (k) VALUES (?)`,
  begin: 'BEGIN',
});
