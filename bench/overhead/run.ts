/**
 * `npm run bench:overhead`: what aurora-ha costs over the raw driver when nothing fails.
 * Starts its own one-instance clusters (emulator), then for pg and mysql2 compares raw,
 * aurora-ha `plugins: []` and aurora-ha default plugins on `SELECT 1` and a 100-row select,
 * sequential (1 connection), 16-way concurrent (16 connections) and 16-way concurrent through
 * `pool.query` on a pool of 16 (pg.Pool / mysql2's pool against aurora-ha's), in interleaved rounds
 * (variant order rotates each round). Each round yields a ratio to raw measured side by
 * side in time, and the median of those ratios is reported (robust against a busy machine),
 * with the median ops/s. Then client CPU time per sequential `SELECT 1` (cpu.ts: raw, `plugins: []`,
 * `['failover']`, `['initialConnection','failover2','hostMonitoring']`, interleaved), the
 * pipeline's dispatch cost per call without network (dispatch.ts), and heap bytes per open
 * connection (median of interleaved runs), and the instructions per query counted by
 * callgrind (instructions.ts, deterministic where the CPU-time row is noise-bound).
 * Clients connect straight to each engine's address, bypassing the emulator's proxy.
 * Then the TLS row (tls.ts): raw against aurora-ha on clusters serving TLS only. Last, when
 * selected (`BENCH_PARTS=connect`, not in the default parts: it opens thousands of sessions),
 * the connect row (connect.ts): connect + first `SELECT 1` and the statements aurora-ha sends at connect.
 */
// First: with BENCH_OTEL=1 the OpenTelemetry SDK and channel subscribers exist before the package loads.
import { OTEL_OBSERVED } from './otel-env.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EmulatedCluster } from '../../src/emulator.js';
import { startClusterOrExplain, EngineMissingError } from '../failover/start-cluster.js';
import { benchConnect } from './connect.js';
import { benchCpu } from './cpu.js';
import { dispatchCost } from './dispatch.js';
import { benchInstructions } from './instructions.js';
import { HEAP_WARM_CONNECTIONS, median, throughput, type HeapPerConnection } from './measure.js';
import { benchTls } from './tls.js';
import type { BenchClient, Target, Variant, VariantKind } from './variants.js';
import {
  VARIANT_KINDS,
  mysqlPoolVariant,
  mysqlTarget,
  mysqlVariant,
  pgPoolVariant,
  pgTarget,
  pgVariant,
} from './variants.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 120);
const HEAP_REPEATS = 2;
const CONCURRENCY = 16;
const HEAP_CONNECTIONS = Number(process.env.BENCH_HEAP_CONNECTIONS ?? 100);
const CPU_ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 15);
const CPU_QUERIES = Number(process.env.BENCH_CPU_QUERIES ?? 1000);

interface Workload {
  name: string;
  sql: string;
}

const WORKLOADS: Record<'postgres' | 'mysql', Workload[]> = {
  postgres: [
    { name: 'SELECT 1', sql: 'SELECT 1' },
    {
      name: '100 rows',
      sql: "SELECT g AS id, 'row ' || g AS label, g * 1.5 AS amount FROM generate_series(1, 100) AS g",
    },
  ],
  mysql: [
    { name: 'SELECT 1', sql: 'SELECT 1' },
    {
      name: '100 rows',
      sql: "SELECT seq AS id, CONCAT('row ', seq) AS label, seq * 1.5 AS amount FROM seq_1_to_100",
    },
  ],
};

interface Row {
  engine: string;
  workload: string;
  mode: string;
  opsPerSec: Record<VariantKind, number>;
  /** Median over rounds of (variant ops/s ÷ raw ops/s in the same round). */
  ratio: Record<VariantKind, number>;
  /** Median client CPU µs per query. */
  cpuUs: Record<VariantKind, number>;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function ratio(r: number): string {
  const pct = (r - 1) * 100;
  return `${r.toFixed(3)} (${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)`;
}

const MODES = ['sequential', `${CONCURRENCY} concurrent`, `pool.query x${CONCURRENCY}`] as const;

async function benchEngine(
  engine: 'postgres' | 'mysql',
  variants: Record<VariantKind, Variant>,
  poolVariants: Record<VariantKind, Variant>,
): Promise<Row[]> {
  const rows: Row[] = [];
  const pools = {} as Record<VariantKind, BenchClient[]>;
  const poolOf = {} as Record<VariantKind, BenchClient>;
  for (const kind of VARIANT_KINDS) {
    pools[kind] = await Promise.all(Array.from({ length: CONCURRENCY }, () => variants[kind].open()));
    poolOf[kind] = await poolVariants[kind].open();
  }
  // The clients a mode drives: one connection, CONCURRENCY connections, or CONCURRENCY loops on one pool.
  const clientsFor = (kind: VariantKind, mode: (typeof MODES)[number]): BenchClient[] => {
    if (mode === 'sequential') return pools[kind].slice(0, 1);
    if (mode === MODES[1]) return pools[kind];
    return Array.from({ length: CONCURRENCY }, () => poolOf[kind]);
  };
  try {
    for (const workload of WORKLOADS[engine]) {
      for (const mode of MODES) {
        const samples = {} as Record<VariantKind, number[]>;
        const ratios = {} as Record<VariantKind, number[]>;
        const cpu = {} as Record<VariantKind, number[]>;
        for (const kind of VARIANT_KINDS) {
          samples[kind] = [];
          ratios[kind] = [];
          cpu[kind] = [];
        }
        // Warm-up slice per variant (JIT, statement caches), not recorded.
        for (const kind of VARIANT_KINDS) {
          await throughput(clientsFor(kind, mode), workload.sql, SLICE_MS / 2);
        }
        for (let round = 0; round < ROUNDS; round++) {
          const thisRound = {} as Record<VariantKind, number>;
          for (let i = 0; i < VARIANT_KINDS.length; i++) {
            const kind = VARIANT_KINDS[(round + i) % VARIANT_KINDS.length] as VariantKind;
            const slice = await throughput(clientsFor(kind, mode), workload.sql, SLICE_MS);
            thisRound[kind] = slice.opsPerSec;
            samples[kind].push(slice.opsPerSec);
            cpu[kind].push(slice.cpuUsPerOp);
          }
          for (const kind of VARIANT_KINDS) ratios[kind].push(thisRound[kind] / thisRound.raw);
        }
        const opsPerSec = {} as Record<VariantKind, number>;
        const ratio = {} as Record<VariantKind, number>;
        const cpuUs = {} as Record<VariantKind, number>;
        for (const kind of VARIANT_KINDS) {
          opsPerSec[kind] = median(samples[kind]);
          ratio[kind] = median(ratios[kind]);
          cpuUs[kind] = median(cpu[kind]);
        }
        rows.push({ engine, workload: workload.name, mode, opsPerSec, ratio, cpuUs });
        printRow(rows[rows.length - 1] as Row);
      }
    }
  } finally {
    for (const kind of VARIANT_KINDS) {
      await Promise.all(pools[kind].map((c) => c.end()));
      await poolOf[kind].end();
    }
  }
  return rows;
}

function printRow(r: Row): void {
  const raw = r.opsPerSec.raw;
  const cpu = (k: VariantKind): string => `${r.cpuUs[k].toFixed(0)} µs`;
  console.log(
    `${pad(r.engine, 9)} ${pad(r.workload, 9)} ${pad(r.mode, 14)} raw ${pad(raw.toFixed(0), 6)} ops/s ${pad(cpu('raw'), 7)}| ` +
      `plugins: [] ${pad(r.opsPerSec['plugins: []'].toFixed(0), 6)} ${ratio(r.ratio['plugins: []'])} ${pad(cpu('plugins: []'), 7)}| ` +
      `default ${pad(r.opsPerSec['default plugins'].toFixed(0), 6)} ${ratio(r.ratio['default plugins'])} ${cpu('default plugins')}`,
  );
}

/** Heap per connection of one variant, measured in a fresh child process (clean heap). */
function heapInChild(args: Record<string, unknown>): Promise<HeapPerConnection> {
  return new Promise((resolveHeap, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'heap-child.ts'), JSON.stringify(args)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /\{.*\}/.exec(out);
      if (code !== 0 || m === null) reject(new Error(`heap child failed (${code ?? 'signal'}): ${out}`));
      else resolveHeap(JSON.parse(m[0]) as HeapPerConnection);
    });
  });
}

async function benchHeap(engine: 'postgres' | 'mysql', target: Target, pattern: string): Promise<void> {
  const runs = {} as Record<VariantKind, HeapPerConnection[]>;
  for (const kind of VARIANT_KINDS) runs[kind] = [];
  for (let r = 0; r < HEAP_REPEATS; r++) {
    for (const kind of VARIANT_KINDS) {
      runs[kind].push(await heapInChild({ engine, kind, count: HEAP_CONNECTIONS, target, pattern }));
    }
  }
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
  const line = (field: keyof HeapPerConnection): string => {
    const per = {} as Record<VariantKind, number>;
    for (const kind of VARIANT_KINDS) per[kind] = median(runs[kind].map((h) => h[field]));
    const delta = (k: VariantKind): string => `${per[k] >= per.raw ? '+' : ''}${kb(per[k] - per.raw)}`;
    return (
      `raw ${kb(per.raw)} | plugins: [] ${kb(per['plugins: []'])} (${delta('plugins: []')}) | ` +
      `default ${kb(per['default plugins'])} (${delta('default plugins')})`
    );
  };
  console.log(
    `${pad(engine, 9)} heap per open connection, marginal (${HEAP_CONNECTIONS} connections after ${HEAP_WARM_CONNECTIONS} warm-up ones, fresh process each): ${line('marginal')}`,
  );
  console.log(
    `${pad(engine, 9)} heap per open connection, one-time costs included (÷ ${HEAP_CONNECTIONS + HEAP_WARM_CONNECTIONS}): ${line('withOneTime')}`,
  );
}

/** The parts that run on the shared one-instance clusters (the others start their own). */
const SHARED_CLUSTER_PARTS = ['throughput', 'cpu', 'dispatch', 'instructions', 'heap'];

async function main(): Promise<void> {
  const started = Date.now();
  // BENCH_PARTS=throughput,cpu,dispatch,instructions,heap,tls,connect selects the parts to run
  // (default: all but connect).
  const parts = process.env.BENCH_PARTS ?? 'throughput,cpu,dispatch,instructions,heap,tls';
  let clusters: EmulatedCluster[] = [];
  try {
    if (SHARED_CLUSTER_PARTS.some((p) => parts.includes(p))) {
      clusters = await Promise.all([
        startClusterOrExplain({ engine: 'postgres', instances: 1 }),
        startClusterOrExplain({ engine: 'mysql', instances: 1 }),
      ]);
      await sharedClusterParts(parts, clusters as [EmulatedCluster, EmulatedCluster], started);
    }
    if (parts.includes('tls')) {
      const tlsClusters = await Promise.all([
        startClusterOrExplain({ engine: 'postgres', instances: 1, tls: true }),
        startClusterOrExplain({ engine: 'mysql', instances: 1, tls: true }),
      ]);
      clusters.push(...tlsClusters);
      for (const c of tlsClusters) await benchTls(c, ROUNDS, SLICE_MS);
    }
    if (parts.includes('connect')) await benchConnect();
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
}

async function sharedClusterParts(
  parts: string,
  [pgCluster, mysqlCluster]: [EmulatedCluster, EmulatedCluster],
  started: number,
): Promise<void> {
  console.log(
    'columns: ops/s (median), ratio to raw (median of per-round ratios), client CPU per query (median)',
  );
  console.log(
    `aurora-ha overhead: ${ROUNDS} interleaved rounds of ${SLICE_MS} ms per variant, median shown; clusters up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const [pgAt, myAt] = await Promise.all([pgTarget(pgCluster), mysqlTarget(mysqlCluster)]);
  const pgVariants = {} as Record<VariantKind, Variant>;
  const myVariants = {} as Record<VariantKind, Variant>;
  const pgPools = {} as Record<VariantKind, Variant>;
  const myPools = {} as Record<VariantKind, Variant>;
  for (const kind of VARIANT_KINDS) {
    pgVariants[kind] = pgVariant(pgCluster, pgAt, kind);
    myVariants[kind] = mysqlVariant(mysqlCluster, myAt, kind);
    pgPools[kind] = pgPoolVariant(pgCluster, pgAt, kind, CONCURRENCY);
    myPools[kind] = mysqlPoolVariant(mysqlCluster, myAt, kind, CONCURRENCY);
  }
  if (OTEL_OBSERVED) {
    console.log(
      'BENCH_OTEL=1: OpenTelemetry SDK registered (metrics + traces), every aurora-ha channel subscribed',
    );
  }
  if (parts.includes('throughput')) {
    await benchEngine('postgres', pgVariants, pgPools);
    await benchEngine('mysql', myVariants, myPools);
  }
  if (parts.includes('cpu')) {
    await benchCpu('postgres', pgCluster, pgAt, CPU_ROUNDS, CPU_QUERIES);
    await benchCpu('mysql', mysqlCluster, myAt, CPU_ROUNDS, CPU_QUERIES);
  }
  if (parts.includes('dispatch')) {
    const { user, password, database } = pgCluster.credentials;
    const d = await dispatchCost({
      host: pgAt.host,
      port: pgAt.port,
      user,
      password,
      database,
      clusterInstanceHostPattern: pgCluster.instanceHostPattern,
    });
    console.log(
      `pipeline dispatch per call (no network, median of 5): ${Object.entries(d)
        .map(([k, v]) => `${k} ${v.toFixed(0)} ns`)
        .join(' | ')}`,
    );
  }
  if (parts.includes('instructions')) {
    // BENCH_INSTR_ENGINES=postgres (or mysql) counts one engine only (default: both).
    const engines = process.env.BENCH_INSTR_ENGINES ?? 'postgres,mysql';
    if (engines.includes('postgres'))
      await benchInstructions('postgres', pgAt, pgCluster.instanceHostPattern, pgCluster.controlEndpoint);
    if (engines.includes('mysql'))
      await benchInstructions('mysql', myAt, mysqlCluster.instanceHostPattern, mysqlCluster.controlEndpoint);
  }
  if (parts.includes('heap')) {
    await benchHeap('postgres', pgAt, pgCluster.instanceHostPattern);
    await benchHeap('mysql', myAt, mysqlCluster.instanceHostPattern);
  }
}

main().catch((err: unknown) => {
  if (err instanceof EngineMissingError) console.error(err.message);
  else console.error(err);
  process.exitCode = 1;
});
