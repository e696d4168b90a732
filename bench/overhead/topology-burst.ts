/**
 * How many topology reads a burst of simultaneous connects makes (issue 26), counted client side
 * (statement-counter.ts) on a two-instance emulated Aurora PostgreSQL cluster, in this process.
 * One connection stays open throughout (the default plugins' topology monitor keeps running, as
 * in an application that already holds connections); then TOPOLOGY_BURSTS bursts of
 * TOPOLOGY_BURST_N connects at once through the writer cluster endpoint, with the default plugins
 * (or TOPOLOGY_PLUGINS) and `topologyRefreshMs` TOPOLOGY_REFRESH_MS, each connection ending after
 * its first `SELECT 1`. Prints, per burst, the topology reads sent during it (through the new
 * connections; through others: the monitor's) and aurora-ha's statements per connect (the
 * dialect's: detection, topology, writer check, instance id; the emulator's own left out).
 *
 *   npx tsx bench/overhead/topology-burst.ts
 *   TOPOLOGY_PLUGINS=initialConnection,failover npx tsx bench/overhead/topology-burst.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AURORA_PG } from '../../src/dialects/sql.js';
import { install, record, sent, totals } from './statement-counter.js';

install();
record(true);
const { Client } = await import('../../src/pg.js');
const { startClusterOrExplain } = await import('../failover/start-cluster.js');

const N = Number(process.env.TOPOLOGY_BURST_N ?? 300);
const BURSTS = Number(process.env.TOPOLOGY_BURSTS ?? 5);
const REFRESH_MS = Number(process.env.TOPOLOGY_REFRESH_MS ?? 1000);
/** e.g. `initialConnection,failover` (failover v1); the default plugins when unset. */
const PLUGINS = process.env.TOPOLOGY_PLUGINS;
const GAP_MS = Number(process.env.TOPOLOGY_BURST_GAP_MS ?? 1500);

/** The topology query as the counter records it (first 87 characters, then `...`). */
const TOPOLOGY_TEXT = `${AURORA_PG.topology.slice(0, 87)}...`;

/** Topology queries sent so far (the writer check, which reads the same function, is not one). */
function topologyReads(): number {
  return totals.bySql.get(TOPOLOGY_TEXT) ?? 0;
}

/** Statements aurora-ha sends (the emulator's own, in this process too, left out). */
function libraryStatements(): number {
  let n = 0;
  for (const sql of Object.values(AURORA_PG))
    n += totals.bySql.get(sql.length > 90 ? `${sql.slice(0, 87)}...` : sql) ?? 0;
  return n;
}

const cluster = await startClusterOrExplain({ engine: 'postgres', instances: 2, maxConnections: N + 50 });
const { user, password, database } = cluster.credentials;
const config = {
  host: cluster.writerEndpoint.host,
  port: cluster.writerEndpoint.port,
  user,
  password,
  database,
  connectionTimeoutMillis: 60_000,
  openConnectionRetryTimeoutMs: 60_000,
  topologyRefreshMs: REFRESH_MS,
  ...(PLUGINS === undefined ? {} : { plugins: PLUGINS.split(',') }),
};

async function connectAndSelect(): Promise<InstanceType<typeof Client>> {
  const c = new Client(config);
  c.on('error', () => undefined);
  await c.connect();
  await c.query('SELECT 1');
  return c;
}

try {
  const anchor = await connectAndSelect();
  const lines: string[] = [];
  for (let b = 0; b < BURSTS; b++) {
    await sleep(GAP_MS);
    const fromReads = topologyReads();
    const fromEntry = sent.length;
    const fromSent = libraryStatements();
    const started = performance.now();
    const clients = await Promise.all(Array.from({ length: N }, connectAndSelect));
    const wallMs = Math.round(performance.now() - started);
    const reads = topologyReads() - fromReads;
    const window = sent.slice(fromEntry);
    const users = new Set(window.filter((e) => e.sql === 'SELECT 1').map((e) => e.conn));
    const onUsers = window.filter((e) => e.sql === TOPOLOGY_TEXT && users.has(e.conn)).length;
    const perConnect = ((libraryStatements() - fromSent) / N).toFixed(2);
    await Promise.all(clients.map((c) => c.end()));
    sent.length = 0;
    lines.push(
      `burst ${b + 1}: ${reads} topology reads (${onUsers} through the new connections, ${reads - onUsers} through others), ${perConnect} aurora-ha statements per connect, ${wallMs} ms`,
    );
    console.log(lines[lines.length - 1]);
    if (process.env.TOPOLOGY_BURST_VERBOSE === '1') console.log(totals.bySql);
  }
  await anchor.end();
} finally {
  await cluster.stop();
}
