/**
 * Child process of test/integration/defaults-stall.test.ts: a cluster and a client with the
 * default plugins (no aurora-ha option) in one process, so that stopping the process (SIGSTOP)
 * stalls the client exactly as a paused container or a long GC pause would. Prints `ready`, then
 * one JSON line with what the client saw once its long statement and its follow-up ended. With
 * BLOCK_AT_SECONDS the process blocks its own event loop for 2 s that long after `ready` (a
 * synchronous stall instead of a stop).
 *
 *   node --import tsx stall-child.ts ENGINE STATEMENT_SECONDS [BLOCK_AT_SECONDS]
 */
import { startCluster } from '../../src/emulator.js';
import mysql from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';

const engine = process.argv[2] === 'mysql' ? 'mysql' : 'postgres';
const seconds = Number(process.argv[3] ?? 25);
const blockAt = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const BLOCK_MS = 2_000;

/** Block the event loop for BLOCK_MS, `blockAt` s from now: nothing else in this process runs meanwhile. */
function scheduleBlock(): void {
  if (blockAt === undefined) return;
  setTimeout(() => {
    const from = Date.now();
    const until = from + BLOCK_MS;
    while (Date.now() < until) {
      // busy
    }
    seen.blockedMs = Date.now() - from;
  }, blockAt * 1000).unref();
}

const cluster = await startCluster({ engine, instances: 2 });
const { user, password, database } = cluster.credentials;
const config = {
  host: cluster.writerEndpoint.host,
  port: cluster.writerEndpoint.port,
  user,
  password,
  database,
};
const seen = {
  failovers: 0,
  errors: [] as string[],
  result: undefined as unknown,
  after: undefined as unknown,
  /** How long the event loop was blocked (BLOCK_AT_SECONDS given and reached). */
  blockedMs: undefined as number | undefined,
};
try {
  if (engine === 'postgres') {
    const client = new Client(config);
    client.on('failover', () => seen.failovers++);
    client.on('error', (e: Error) => seen.errors.push(`error event: ${e.message}`));
    await client.connect();
    process.stdout.write('ready\n');
    scheduleBlock();
    const r = await client.query(`SELECT 1 AS done FROM pg_sleep(${seconds})`);
    seen.result = r.rows[0];
    seen.after = (await client.query('SELECT 1 AS one')).rows[0];
    await client.end();
  } else {
    const conn = await mysql.createConnection(config);
    (conn as unknown as { on(e: string, l: () => void): void }).on('failover', () => seen.failovers++);
    process.stdout.write('ready\n');
    scheduleBlock();
    const [rows] = await conn.query(`SELECT SLEEP(${seconds}) = 0 AS done`);
    seen.result = (rows as unknown[])[0];
    const [after] = await conn.query('SELECT 1 AS one');
    seen.after = (after as unknown[])[0];
    await conn.end();
  }
} catch (err) {
  seen.errors.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
} finally {
  await cluster.stop();
}
process.stdout.write(`${JSON.stringify(seen)}\n`);
