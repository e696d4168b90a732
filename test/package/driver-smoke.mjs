// The engine-backed smoke of one driver through the packed package, run by test/package/ in a
// consumer project (the lockfile's drivers, and the oldest the peer ranges allow) with whatever
// Node runs the test. Usage: node driver-smoke.mjs pg|mysql2
//
// On a 2-instance emulated cluster, through aurora-ha's pool with the default plugins:
//   connect + query; a statement in flight on a checked-out connection when the writer is killed
//   (`cluster.failover()`) must reject with FailoverSuccessError (docs/failover.md), after which
//   that connection is on the new writer; a connection that was idle in the pool is moved before
//   the pool hands it out, so `pool.query()` resolves on the new writer with no error
//   (docs/pg-pool.md, docs/mysql2-pool.md); the new writer takes a write; no pool 'error'.
// Prints one JSON line: every observation, and the driver versions that were loaded. The test
// compares it with the expected line, so a difference names the step that went another way.
import { createRequire } from 'node:module';
import { startCluster } from 'aurora-ha/emulator';
import { FailoverSuccessError } from 'aurora-ha';

const driver = process.argv[2];
if (driver !== 'pg' && driver !== 'mysql2') {
  console.error('usage: node driver-smoke.mjs pg|mysql2');
  process.exit(2);
}

/** The same few operations over either driver's pool. */
async function pgPool(cluster) {
  const { Pool } = await import('aurora-ha/pg');
  const pool = new Pool({ ...cluster.writerEndpoint, ...cluster.credentials, max: 2, failoverTimeoutMs: 30_000 });
  const rows = async (q, sql) => (await q.query(sql)).rows;
  return {
    pool,
    query: (sql) => rows(pool, sql),
    checkout: async () => {
      const client = await pool.connect();
      return { query: (sql) => rows(client, sql), release: (err) => client.release(err) };
    },
    idSql: 'SELECT pg_catalog.aurora_db_instance_identifier() AS id',
    sleepSql: 'SELECT pg_sleep(120)',
    size: () => pool.totalCount,
    end: () => pool.end(),
  };
}

async function mysql2Pool(cluster) {
  const { default: mysql } = await import('aurora-ha/mysql2/promise');
  const pool = mysql.createPool({
    ...cluster.writerEndpoint,
    ...cluster.credentials,
    connectionLimit: 2,
    failoverTimeoutMs: 30_000,
  });
  const rows = async (q, sql) => (await q.query(sql))[0];
  let opened = 0;
  pool.pool.on('connection', () => opened++);
  return {
    pool: pool.pool,
    query: (sql) => rows(pool, sql),
    checkout: async () => {
      const conn = await pool.getConnection();
      return { query: (sql) => rows(conn, sql), release: () => conn.release() };
    },
    idSql: 'SELECT @@aurora_server_id AS id',
    sleepSql: 'SELECT SLEEP(120)',
    size: () => opened,
    end: () => pool.end(),
  };
}

const out = { driver };
const cluster = await startCluster({ engine: driver === 'pg' ? 'postgres' : 'mysql', instances: 2 });
try {
  const p = await (driver === 'pg' ? pgPool(cluster) : mysql2Pool(cluster));
  const poolErrors = [];
  p.pool.on('error', (err) => poolErrors.push(`${err?.name}: ${err?.message}`));
  try {
    out.query = (await p.query('SELECT 1 AS one'))[0].one;
    const oldWriter = cluster.instances().find((i) => i.role === 'writer').id;
    out.onWriter = (await p.query(p.idSql))[0].id === oldWriter;
    // Both connections of the pool open on the old writer; one goes back idle.
    const held = await p.checkout();
    const idle = await p.checkout();
    idle.release();
    const inFlight = held.query(p.sleepSql).then(
      () => 'resolved',
      (err) => err,
    );
    const { newWriter } = await cluster.failover();
    out.newWriter = newWriter !== oldWriter;
    const err = await inFlight;
    out.inFlight = err instanceof FailoverSuccessError ? 'FailoverSuccessError' : String(err?.stack ?? err);
    out.heldMoved = (await held.query(p.idSql))[0].id === newWriter;
    held.release(err instanceof Error ? err : undefined);
    // Both pooled connections, the idle one moved on hand-out: no error reaches the caller.
    const ids = await Promise.all([p.query(p.idSql), p.query(p.idSql)]);
    out.poolMoved = ids.every((r) => r[0].id === newWriter);
    await p.query('CREATE TABLE aurora_ha_smoke (n int)');
    await p.query('INSERT INTO aurora_ha_smoke VALUES (42)');
    out.write = (await p.query('SELECT n FROM aurora_ha_smoke'))[0].n;
    out.connections = p.size();
    out.poolErrors = poolErrors;
  } finally {
    await p.end();
  }
} finally {
  await cluster.stop();
}
const require = createRequire(import.meta.url);
const versionOf = (name) =>
  require(require.resolve(name).replace(/(node_modules\/[^/]+)\/.*$/, '$1/package.json')).version;
out.versions =
  driver === 'pg' ? { pg: versionOf('pg'), 'pg-pool': versionOf('pg-pool') } : { mysql2: versionOf('mysql2') };
out.node = process.version;
console.log(JSON.stringify(out));
