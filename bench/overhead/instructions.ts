/**
 * The deterministic row of the overhead benchmark (`BENCH_PARTS=instructions`): CPU
 * instructions the client executes per sequential `SELECT 1`, counted by valgrind's callgrind
 * (perf counters are not available on every machine; instruction counts do not depend on the
 * machine's load, unlike the CPU-time row). For each variant (raw driver, aurora-ha
 * `plugins: []`, aurora-ha default plugins) a child node process opens one connection to the
 * engine the parent started (the engine runs outside valgrind), runs WARM-UP queries (JIT,
 * caches) and then N or 2N more; (instructions(2N) − instructions(N)) ÷ N cancels start-up,
 * connect and warm-up. V8 runs in predictable mode (no background compilation or GC threads,
 * fixed seeds, fixed new-space size) so that a repeat gives the same count. Two things still
 * move it, both printed apart: V8's optimizing compiler tiering a function up inside the window
 * (a one-time event; the second figure leaves it out), and work driven by wall-clock timers
 * (the default plugins' topology and host monitors), which valgrind's slowdown bills to ~50×
 * fewer queries than a native run does.
 * The children are attached to the emulated cluster (`--import dist/emulator-attach.js`,
 * AURORA_HA_EMULATOR = its control endpoint), as an application on the emulator is: the
 * instance names in the topology resolve. Before 2026-12-07 they did not, so the default
 * plugins' topology monitor searched for a writer it could not reach for the whole run (a
 * connect attempt every few hundred ms, ~1.3 M instructions per second under valgrind), which
 * valgrind's slowdown billed to the queries: up to +25 % on a loaded machine, noise of several
 * points on a quiet one. The attach entry does nothing per query (one idle control socket).
 * With BENCH_INSTR_OUT=dir the callgrind files are kept there (for callgrind_annotate);
 * BENCH_INSTR_DIST=dir measures another build of the package (a copy of `dist/` inside the
 * repository, e.g. the one before a change) instead of `dist/`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Target, VariantKind } from './variants.js';
import { VARIANT_KINDS } from './variants.js';

const QUERIES = Number(process.env.BENCH_INSTR_QUERIES ?? 20000);
const WARM_UP = Number(process.env.BENCH_INSTR_WARMUP ?? 5000);
const REPEATS = Number(process.env.BENCH_INSTR_REPEATS ?? 2);

/** V8 and node flags that make a run repeatable: one thread, fixed seeds, fixed new space. */
const NODE_FLAGS = [
  '--predictable',
  '--single-threaded',
  '--random-seed=1',
  '--hash-seed=1',
  // A small fixed new space: scavenges come every few dozen queries, so their cost spreads
  // evenly over the window instead of one scavenge more or less deciding the difference.
  '--min-semi-space-size=1',
  '--max-semi-space-size=1',
  // No bytecode flushing: functions are not dropped and compiled again inside the window.
  '--no-flush-bytecode',
];

const repoRoot = join(import.meta.dirname, '..', '..');

/**
 * The child's program (plain JS: no TypeScript loader under valgrind). argv: engine, kind,
 * warm-up, queries, target JSON, instance pattern, dist entry URL. It opens the connection
 * like variants.ts does, runs warm-up + queries sequential `SELECT 1`, ends and exits.
 */
const CHILD = `
const [engine, kind, warm, n, targetJson, pattern, entry] = process.argv.slice(1);
const target = JSON.parse(targetJson);
const extra = kind === 'plugins: []' ? { plugins: [] } : { clusterInstanceHostPattern: pattern };
let c;
if (engine === 'postgres') {
  const pg = kind === 'raw' ? (await import('pg')).default : await import(entry);
  c = new pg.Client(kind === 'raw' ? target : { ...target, ...extra });
  await c.connect();
} else {
  const my = kind === 'raw' ? (await import('mysql2/promise')).default : await import(entry);
  c = await my.createConnection(kind === 'raw' ? target : { ...target, ...extra });
}
const total = Number(warm) + Number(n);
for (let i = 0; i < total; i++) await c.query('SELECT 1');
await c.end();
`;

function valgrindMissing(): boolean {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return r.error !== undefined || r.status !== 0;
}

/** One child run's instructions: all of them, and those of V8's optimizing compiler. */
interface Counted {
  readonly total: number;
  readonly compiler: number;
  /** Those of V8's garbage collector (see gcInstructions). */
  readonly gc: number;
}

/**
 * Instructions spent in V8's optimizing compiler (`v8::internal::compiler::*`, self cost, from
 * callgrind_annotate): a function tiering up inside the window is a one-time event that lands
 * in the N or the 2N run by chance. 0 when callgrind_annotate is missing.
 */
function compilerInstructions(file: string): number {
  const r = spawnSync('callgrind_annotate', ['--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) return 0;
  let sum = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line.includes('v8::internal::compiler::')) continue;
    const m = /^\s*([\d,]+)/.exec(line);
    if (m?.[1] !== undefined) sum += Number(m[1].replaceAll(',', ''));
  }
  return sum;
}

/**
 * Instructions spent in V8's garbage collector, inclusive (`Heap::CollectGarbage`: scavenges
 * and full collections; `IncrementalMarking::Step`: marking done between them), from
 * `callgrind_annotate --inclusive=yes`. With a 1 MB new space a scavenge comes every few hundred
 * queries and costs what happens to be alive then; a full collection of the whole heap (tens of
 * millions of instructions) lands in the N or the 2N run by chance. Measured on 2026-12-07: GC
 * alone moved a variant's figure by 2,000–5,000 instructions per query between runs, and one
 * full collection by 70,000. 0 when callgrind_annotate is missing.
 */
function gcInstructions(file: string): number {
  const r = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) return 0;
  let sum = 0;
  for (const line of r.stdout.split('\n')) {
    if (!/v8::internal::Heap::CollectGarbage\(|v8::internal::IncrementalMarking::Step\(/.test(line)) continue;
    const m = /^\s*([\d,]+)/.exec(line);
    if (m?.[1] !== undefined) sum += Number(m[1].replaceAll(',', ''));
  }
  return sum;
}

/** Instructions of one child run under callgrind. */
function countedRun(args: {
  engine: 'postgres' | 'mysql';
  kind: VariantKind;
  queries: number;
  target: Target;
  pattern: string;
  control: string;
  outFile: string;
}): Promise<Counted> {
  const dist = process.env.BENCH_INSTR_DIST ?? join(repoRoot, 'dist');
  const entry = pathToFileURL(
    join(resolve(dist), args.engine === 'postgres' ? 'pg.js' : 'mysql2-promise.js'),
  ).href;
  const attach = pathToFileURL(join(resolve(dist), 'emulator-attach.js')).href;
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${args.outFile}`,
        process.execPath,
        ...NODE_FLAGS,
        '--import',
        attach,
        '--input-type=module',
        '-e',
        CHILD,
        args.engine,
        args.kind,
        String(WARM_UP),
        String(args.queries),
        JSON.stringify(args.target),
        args.pattern,
        entry,
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, AURORA_HA_EMULATOR: args.control },
      },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /^(?:summary|totals): (\d+)/m.exec(safeRead(args.outFile));
      if (code !== 0 || m === null) {
        reject(new Error(`callgrind child ${args.kind} failed (${code ?? 'signal'}): ${err.slice(-2000)}`));
      } else
        resolveRun({
          total: Number(m[1]),
          compiler: compilerInstructions(args.outFile),
          gc: gcInstructions(args.outFile),
        });
    });
  });
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface InstructionRow {
  /** Instructions per query by variant, one entry per repeat. */
  readonly perQuery: Record<VariantKind, number[]>;
  /** The same without V8's optimizing compiler (see compilerInstructions). */
  readonly withoutCompiler: Record<VariantKind, number[]>;
  /** The same without the compiler and the garbage collector: the query path's own work. */
  readonly withoutCompilerAndGc: Record<VariantKind, number[]>;
}

/**
 * Instructions per sequential `SELECT 1` of each variant (REPEATS times, runs sequential: a
 * callgrind child takes one core for tens of seconds). Prints one line per repeat.
 */
export async function benchInstructions(
  engine: 'postgres' | 'mysql',
  target: Target,
  pattern: string,
  control: string,
): Promise<InstructionRow | undefined> {
  if (valgrindMissing()) {
    console.log(`${engine.padEnd(9)} instructions per query: skipped (valgrind is not installed)`);
    return undefined;
  }
  const keep = process.env.BENCH_INSTR_OUT;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'aurora-ha-callgrind-'));
  const perQuery = {} as Record<VariantKind, number[]>;
  const withoutCompiler = {} as Record<VariantKind, number[]>;
  const withoutCompilerAndGc = {} as Record<VariantKind, number[]>;
  for (const kind of VARIANT_KINDS) {
    perQuery[kind] = [];
    withoutCompiler[kind] = [];
    withoutCompilerAndGc[kind] = [];
  }
  try {
    for (let r = 0; r < REPEATS; r++) {
      for (const kind of VARIANT_KINDS) {
        const file = (q: number): string =>
          join(dir, `callgrind.${engine}.${kind.replace(/[^a-z]+/g, '-')}.${q}.r${r}.out`);
        const run = (q: number): Promise<Counted> =>
          countedRun({ engine, kind, queries: q, target, pattern, control, outFile: file(q) });
        const once = await run(QUERIES);
        const twice = await run(2 * QUERIES);
        perQuery[kind].push((twice.total - once.total) / QUERIES);
        withoutCompiler[kind].push((twice.total - twice.compiler - (once.total - once.compiler)) / QUERIES);
        const own = (c: Counted): number => c.total - c.compiler - c.gc;
        withoutCompilerAndGc[kind].push((own(twice) - own(once)) / QUERIES);
      }
      const line = (label: string, per: Record<VariantKind, number[]>): string => {
        const raw = per.raw[r] as number;
        const cell = (k: VariantKind): string => {
          const v = per[k][r] as number;
          const pct = (v / raw - 1) * 100;
          return `${k} ${v.toFixed(0)} (${(v / raw).toFixed(3)}, ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)`;
        };
        return `${label}: raw ${raw.toFixed(0)} | ${cell('plugins: []')} | ${cell('default plugins')}`;
      };
      console.log(
        `${engine.padEnd(9)} instructions per sequential SELECT 1 (callgrind, (${2 * QUERIES} − ${QUERIES} queries) ÷ ${QUERIES} after ${WARM_UP} warm-up, run ${r + 1}/${REPEATS}): ` +
          `${line('all', perQuery)} || ${line('without the optimizing compiler', withoutCompiler)}` +
          ` || ${line('without the compiler and the garbage collector', withoutCompilerAndGc)}`,
      );
    }
  } finally {
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return { perQuery, withoutCompiler, withoutCompilerAndGc };
}
