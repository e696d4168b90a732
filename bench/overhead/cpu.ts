/**
 * Client CPU time per query: the process's CPU time (`process.cpuUsage()`, user + system) spent
 * per sequential `SELECT 1`, each variant on its own open connection. CPU time, unlike wall
 * clock, does not count the time the process waits for the server or for a core held by
 * another process; and the variants are interleaved finely (batches of BATCH queries, variant
 * order rotating) so that a load change on a shared machine hits them alike. Each round sums
 * every variant's CPU over its batches; reported are the median µs per query over rounds and
 * the median over rounds of the variant's sum ÷ the baseline's sum in the same round.
 */
import rawMysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { builtMysql2Promise, builtPg } from './built-package.js';
import { median } from './measure.js';
import type { BenchClient, Target } from './variants.js';

/** The plugin lists measured: none, today's default, and the AWS-style default to come. */
export const CPU_PLUGIN_SETS: Readonly<Record<string, readonly string[]>> = {
  'plugins: []': [],
  "['failover']": ['failover'],
  "['initialConnection','failover2','hostMonitoring']": ['initialConnection', 'failover2', 'hostMonitoring'],
};

/**
 * A second raw client measured like the others: its ratio to the first is this run's noise floor
 * (what two identical clients differ by on this machine), printed beside the aurora-ha rows.
 */
const RAW_AGAIN = 'raw again';

/** Queries per batch: short enough to interleave finely, long enough for getrusage's resolution. */
const BATCH = 50;

export interface CpuRow {
  /** Median client CPU µs per query, by variant name. */
  readonly us: Record<string, number>;
  /** Median over rounds of (variant CPU ÷ baseline CPU in the same round), by variant name. */
  readonly ratio: Record<string, number>;
}

async function cpuBatch(client: BenchClient, sql: string, queries: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < queries; i++) await client.query(sql);
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/**
 * CPU µs per query of each of `clients` (already connected) running `sql` sequentially,
 * `queries` per variant and round; `baseline` names the client the ratios are to.
 */
export async function cpuPerQuery(
  clients: Record<string, BenchClient>,
  baseline: string,
  sql: string,
  rounds: number,
  queries: number,
): Promise<CpuRow> {
  const names = Object.keys(clients);
  const samples: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  for (const n of names) {
    samples[n] = [];
    ratios[n] = [];
  }
  // Warm-up (JIT, statement and parser caches), not recorded.
  for (const n of names) await cpuBatch(clients[n] as BenchClient, sql, queries);
  const batches = Math.max(1, Math.round(queries / BATCH));
  let turn = 0;
  for (let round = 0; round < rounds; round++) {
    const used: Record<string, number> = {};
    for (const n of names) used[n] = 0;
    for (let b = 0; b < batches; b++, turn++) {
      for (let i = 0; i < names.length; i++) {
        const n = names[(turn + i) % names.length] as string;
        used[n] = (used[n] as number) + (await cpuBatch(clients[n] as BenchClient, sql, BATCH));
      }
    }
    const base = used[baseline] as number;
    for (const n of names) {
      samples[n]?.push((used[n] as number) / (batches * BATCH));
      ratios[n]?.push((used[n] as number) / base);
    }
  }
  const us: Record<string, number> = {};
  const ratio: Record<string, number> = {};
  for (const n of names) {
    us[n] = median(samples[n] as number[]);
    ratio[n] = median(ratios[n] as number[]);
  }
  return { us, ratio };
}

/** Open one connection per variant: the raw driver (`raw`) and aurora-ha with each of CPU_PLUGIN_SETS. */
export async function openCpuClients(
  engine: 'postgres' | 'mysql',
  cluster: EmulatedCluster,
  target: Target,
): Promise<Record<string, BenchClient>> {
  const clients: Record<string, BenchClient> = {};
  // An IP address carries no instance pattern: give the cluster's (as users of IPs must).
  const pattern = { clusterInstanceHostPattern: cluster.instanceHostPattern };
  if (engine === 'postgres') {
    for (const name of ['raw', RAW_AGAIN]) {
      const raw = new pg.Client(target);
      raw.on('error', (err) => console.error(`raw pg client: ${err.message}`));
      await raw.connect();
      clients[name] = { query: (sql) => raw.query(sql), end: () => raw.end() };
    }
    for (const [name, plugins] of Object.entries(CPU_PLUGIN_SETS)) {
      const c = new builtPg.Client({ ...target, ...pattern, plugins: [...plugins] });
      c.on('error', (err: Error) => console.error(`aurora-ha client: ${err.message}`));
      await c.connect();
      clients[name] = { query: (sql) => c.query(sql), end: () => c.end() };
    }
    return clients;
  }
  for (const name of ['raw', RAW_AGAIN]) {
    const raw = await rawMysql.createConnection(target);
    raw.on('error', (err: Error) => console.error(`raw mysql2 connection: ${err.message}`));
    clients[name] = { query: (sql) => raw.query(sql), end: () => raw.end() };
  }
  for (const [name, plugins] of Object.entries(CPU_PLUGIN_SETS)) {
    const c = await builtMysql2Promise.createConnection({ ...target, ...pattern, plugins: [...plugins] });
    c.on('error', (err: Error) => console.error(`aurora-ha connection: ${err.message}`));
    clients[name] = { query: (sql) => c.query(sql), end: () => c.end() };
  }
  return clients;
}

/** The CPU row of one engine: client CPU µs per sequential `SELECT 1`, ratio to the raw driver. */
export async function benchCpu(
  engine: 'postgres' | 'mysql',
  cluster: EmulatedCluster,
  target: Target,
  rounds: number,
  queries: number,
): Promise<CpuRow> {
  const clients = await openCpuClients(engine, cluster, target);
  let row: CpuRow;
  try {
    row = await cpuPerQuery(clients, 'raw', 'SELECT 1', rounds, queries);
  } finally {
    await Promise.all(Object.values(clients).map((c) => c.end()));
  }
  const cell = (name: string): string => {
    const pct = ((row.ratio[name] ?? 1) - 1) * 100;
    return `${name} ${(row.us[name] ?? 0).toFixed(1)} µs (${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)`;
  };
  const driver = engine === 'postgres' ? 'pg' : 'mysql2';
  console.log(
    `${engine.padEnd(9)} client CPU per sequential SELECT 1 (${rounds} interleaved rounds of ${queries}, median; ratio to raw ${driver} in the same round): ` +
      `raw ${(row.us.raw ?? 0).toFixed(1)} µs | ${[RAW_AGAIN, ...Object.keys(CPU_PLUGIN_SETS)].map(cell).join(' | ')}`,
  );
  return row;
}
