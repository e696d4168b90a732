/**
 * Child process of test/emulator/awaited-exit.test.ts: runs emulator operations (and client
 * queries through a failover) with nothing else keeping the event loop alive — no timer, no
 * server — printing one line per step. An await whose pending work is only unref'd handles
 * ends this process early with exit code 13 and without its last line (`stopped`).
 *
 *   node --import tsx awaited-exit-child.ts ENGINE SCENARIO [ROUNDS]
 *   SCENARIO: stop-after-failover | operations | failover | failover2 | pool | refused-connect
 */
import { AuroraHaError } from '../../src/core/errors.js';
import { startCluster, type EmulatedCluster } from '../../src/emulator.js';
import { registerNames } from '../../src/emulator/dns.js';
import mysql from '../../src/mysql2-promise.js';
import { Client, Pool } from '../../src/pg.js';

type Engine = 'postgres' | 'mysql';
type Query = (sql: string) => Promise<unknown>;

const engine: Engine = process.argv[2] === 'mysql' ? 'mysql' : 'postgres';
const scenario = process.argv[3] ?? 'stop-after-failover';
const rounds = Number(process.argv[4] ?? 1);

const FAILOVER_TIMING = {
  failoverTimeoutMs: 30_000,
  failoverClusterTopologyRefreshRateMs: 200,
  failoverWriterReconnectIntervalMs: 200,
  failoverReaderConnectTimeoutMs: 3_000,
};

/** How long after failover() returns stop() is called, by round. */
const STOP_AFTER_MS = [0, 0, 300, 300, 700, 700, 1200, 1200];

const started = performance.now();
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
/** A step of the write-through scenarios, with its time since start (read when a run hangs). */
const step = (what: string): void => say(`at ${Math.round(performance.now() - started)} ms: ${what}`);

function configOf(c: EmulatedCluster, plugin: string): Record<string, unknown> {
  const { user, password, database } = c.credentials;
  const host = c.writerEndpoint.host;
  const port = c.writerEndpoint.port;
  return { host, port, user, password, database, plugins: [plugin], ...FAILOVER_TIMING };
}

/** Write until a write succeeds after the failover returned (no pause: nothing may be ref'd but the client). */
async function writeThroughFailover(c: EmulatedCluster, query: Query): Promise<number> {
  await query('CREATE TABLE IF NOT EXISTS exit_probe (id INT)');
  await query('INSERT INTO exit_probe VALUES (1)');
  let failedOver = false;
  const failover = c.failover().then(() => {
    failedOver = true;
    step('cluster.failover() returned');
  });
  let replaced = 0;
  try {
    for (;;) {
      try {
        await query('INSERT INTO exit_probe VALUES (2)');
        if (failedOver) break;
      } catch (err) {
        const code = err instanceof AuroraHaError ? err.code : undefined;
        if (code !== 'FAILOVER_SUCCESS' && code !== 'TRANSACTION_RESOLUTION_UNKNOWN') throw err;
        replaced++;
        // A few lines, not one per failure: a loop failing without end must not flood the transcript.
        if (replaced <= 20) step(`write failed with ${code}`);
      }
    }
  } finally {
    await failover;
  }
  step('a write succeeded after the failover');
  return replaced;
}

async function throughClient(c: EmulatedCluster, plugin: string): Promise<void> {
  const config = configOf(c, plugin);
  if (engine === 'postgres') {
    const client = new Client(config);
    await client.connect();
    say(`${plugin} replaced ${await writeThroughFailover(c, (sql) => client.query(sql))}`);
    await client.end();
    step('client.end() returned');
  } else {
    const conn = await mysql.createConnection(config);
    say(`${plugin} replaced ${await writeThroughFailover(c, (sql) => conn.query(sql))}`);
    await conn.end();
    step('conn.end() returned');
  }
  say('client ended');
}

async function throughPool(c: EmulatedCluster): Promise<void> {
  const config = configOf(c, 'failover2');
  if (engine === 'postgres') {
    const pool = new Pool({ ...config, max: 4 });
    say(`pool replaced ${await writeThroughFailover(c, (sql) => pool.query(sql))}`);
    await pool.end();
  } else {
    const pool = mysql.createPool({ ...config, connectionLimit: 4 });
    say(`pool replaced ${await writeThroughFailover(c, (sql) => pool.query(sql))}`);
    await pool.end();
  }
  say('pool ended');
}

async function operations(c: EmulatedCluster): Promise<void> {
  say(`failover → ${(await c.failover()).newWriter}`);
  say(`switchover → ${(await c.switchover()).newWriter}`);
  await c.settled();
  say('settled');
  const reader = c.instances().find((i) => i.role === 'reader');
  if (!reader) throw new Error('no reader after the switchover');
  await c.crash(reader.id);
  say(`crashed ${reader.id}`);
  await c.reboot(reader.id);
  say(`rebooted ${reader.id}`);
}

async function round(i: number): Promise<void> {
  // The cluster: a DNS lag that outlives the run, a promotion delay on odd rounds.
  const cluster = await startCluster({
    engine,
    instances: 2,
    dnsLagMs: 10_000,
    promotionDelayMs: scenario === 'stop-after-failover' && i % 2 === 1 ? 3000 : 0,
  });
  say(`round ${i}: started`);
  if (scenario === 'stop-after-failover') {
    await cluster.failover();
    say('failed over');
    // stop() lands at another point of the old writer's rebuild each round (the timer is
    // gone before stop() is awaited: it keeps nothing alive during the awaits under test)
    const pauseMs = STOP_AFTER_MS[i % STOP_AFTER_MS.length] ?? 0;
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  } else if (scenario === 'operations') await operations(cluster);
  else if (scenario === 'pool') await throughPool(cluster);
  else await throughClient(cluster, scenario);
  if (scenario !== 'stop-after-failover') step('stopping the cluster');
  await cluster.stop();
  say(`round ${i}: stopped`);
}

/**
 * `connect()` through initialConnection to a cluster endpoint whose address refuses: the retry
 * loop's pauses between attempts are the only pending work, until openConnectionRetryTimeoutMs.
 */
async function refusedConnect(): Promise<void> {
  const host = 'mydb.cluster-abcdefabcdef.us-east-1.rds.amazonaws.com';
  const unregister = registerNames((h) => (h.toLowerCase() === host ? '127.77.77.1' : undefined));
  const config = {
    host,
    port: 5999,
    user: 'u',
    password: 'p',
    database: 'd',
    plugins: ['initialConnection', 'failover2'],
    openConnectionRetryTimeoutMs: 2_000,
    openConnectionRetryIntervalMs: 300,
  };
  try {
    if (engine === 'postgres') await new Client(config).connect();
    else await mysql.createConnection(config);
    say('connected (unexpected)');
  } catch (err) {
    say(`rejected: ${err instanceof AuroraHaError ? err.code : String(err)}`);
  } finally {
    unregister();
  }
  say('round 0: stopped');
}

/** One line per handle still keeping the process alive (what a leak left open). */
function liveHandles(): string {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .map((h) => {
      const name = (h as object).constructor.name;
      const s = h as { remoteAddress?: string; remotePort?: number; pid?: number; address?: () => unknown };
      if (s.remoteAddress !== undefined) return `${name} to ${s.remoteAddress}:${s.remotePort ?? '?'}`;
      if (s.pid !== undefined) return `${name} pid ${s.pid}`;
      if (typeof s.address === 'function') return `${name} on ${JSON.stringify(s.address())}`;
      return name;
    })
    .join('; ');
}

if (scenario === 'refused-connect') await refusedConnect();
else for (let i = 0; i < rounds; i++) await round(i);
say('stopped');
// Nothing may keep the process alive now: if something does, this unref'd timer fires (it
// cannot keep the process alive itself), names the leaked handles and fails the run at once.
setTimeout(() => {
  say(`still alive 10 s after stopped, held by: ${liveHandles()}`);
  process.exit(3);
}, 10_000).unref();
