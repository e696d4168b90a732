/**
 * The connect row of the overhead benchmark (`BENCH_PARTS=connect`): what aurora-ha adds to
 * opening a connection. Per engine, on a fresh two-instance emulated cluster, through the writer
 * cluster endpoint: (1) what each variant sends at connect, counted client side in a fresh
 * child process per variant (first connection of a process, then later ones with caches warm);
 * (2) connect + first `SELECT 1`, one at a time (median µs, median of per-round ratios to raw)
 * and in bursts of BENCH_CONNECT_N simultaneous connects (wall time, p50 / p95 per connection),
 * variants interleaved in one child process. The children are attached to the cluster
 * (`aurora-ha/emulator/attach`), so the emulator's proxy keeps its own event loop (this one).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EmulatedCluster } from '../../src/emulator.js';
import { startClusterOrExplain } from '../failover/start-cluster.js';
import { CONNECT_KINDS, type ConnectKind, type ConnectTarget } from './connect-clients.js';
import type { BurstResult, ConnectChildArgs, ConnectCount, ConnectTiming } from './connect-child.js';
import { median } from './measure.js';

const ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? 20);
const PER_ROUND = Number(process.env.BENCH_CONNECT_PER_ROUND ?? 5);
const BURST = Number(process.env.BENCH_CONNECT_N ?? 1000);
const BURST_ROUNDS = Number(process.env.BENCH_CONNECT_BURST_ROUNDS ?? 3);
/** Connections opened at once in a fresh process for the cold-start count. */
const COLD_BURST = Number(process.env.BENCH_CONNECT_COLD_N ?? 50);
const INSTANCES = 2;

/** Extra node flags for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (not allowed in NODE_OPTIONS). */
const CHILD_FLAGS = (process.env.BENCH_CONNECT_CHILD_FLAGS ?? '').split(' ').filter((f) => f !== '');

const attachEntry = new URL('../../dist/emulator-attach.js', import.meta.url).href;

/** Run connect-child.ts attached to `cluster`; its `RESULT` line, parsed. */
function inChild<T>(cluster: EmulatedCluster, args: ConnectChildArgs): Promise<T> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...CHILD_FLAGS,
        '--import',
        'tsx',
        '--import',
        attachEntry,
        join(import.meta.dirname, 'connect-child.ts'),
        JSON.stringify(args),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AURORA_HA_EMULATOR: cluster.controlEndpoint },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || m?.[1] === undefined)
        reject(new Error(`connect child failed (${code ?? 'signal'}): ${out}`));
      else resolveResult(JSON.parse(m[1]) as T);
    });
  });
}

/** `a` ×2 · `b` for repeated statements, in order of first appearance. */
function grouped(statements: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of statements) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([sql, n]) => `\`${sql}\`${n > 1 ? ` ×${n}` : ''}`).join(' · ');
}

function describe(c: ConnectCount): string {
  const opened = Object.entries(c.opened)
    .map(([purpose, n]) => `${purpose} ${n}`)
    .join(', ');
  const own = c.own.length === 0 ? '' : `: ${grouped(c.own)}`;
  const other = c.other.length === 0 ? '' : `; on other connections ${c.other.length}: ${grouped(c.other)}`;
  return `${c.own.length} on it${own}${other}${opened === '' ? '' : `; physical connects by purpose: ${opened}`}`;
}

function printCounts(engine: string, kind: ConnectKind, counts: readonly ConnectCount[]): void {
  counts.forEach((c, i) => {
    const which = i === 0 ? 'first connect of the process' : `connect #${i + 1}`;
    console.log(`${engine.padEnd(9)} statements at connect, ${kind}, ${which}: ${describe(c)}`);
  });
}

function ratioText(r: number): string {
  const pct = (r - 1) * 100;
  return `${r.toFixed(3)} (${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)`;
}

function printTiming(engine: string, t: ConnectTiming): void {
  const raw = t.sequentialUs.raw ?? [];
  const seq = CONNECT_KINDS.map((kind) => {
    const rounds = t.sequentialUs[kind] ?? [];
    const us = median(rounds.flat());
    const statements = `, ${(t.sequentialExtra[kind] ?? NaN).toFixed(2)} statements, client CPU ${(t.sequentialCpuUs[kind] ?? NaN).toFixed(0)} µs`;
    if (kind === 'raw') return `raw ${us.toFixed(0)} µs${statements}`;
    const ratios = rounds.map((r, i) => median(r) / median(raw[i] ?? []));
    return `${kind} ${us.toFixed(0)} µs ${ratioText(median(ratios))}${statements}`;
  });
  console.log(
    `${engine.padEnd(9)} connect + first SELECT 1, sequential (${ROUNDS} rounds × ${PER_ROUND} per variant, median): ${seq.join(' | ')}`,
  );
  const rawBursts = t.bursts.raw ?? [];
  const ms = (x: number): string => `${(x / 1000).toFixed(2)} s`;
  const burst = CONNECT_KINDS.map((kind) => {
    const bursts: BurstResult[] = t.bursts[kind] ?? [];
    const failed = bursts.reduce((n, b) => n + b.failed, 0);
    const fails =
      failed === 0 ? '' : ` FAILED ${failed} (${bursts.find((b) => b.firstError)?.firstError ?? ''})`;
    const statements = bursts.map((b) => b.extraStatements.toFixed(2)).join('/');
    const text = `wall ${ms(median(bursts.map((b) => b.wallMs)))} p50 ${ms(median(bursts.map((b) => b.p50Ms)))} p95 ${ms(median(bursts.map((b) => b.p95Ms)))} [walls ${bursts.map((b) => ms(b.wallMs)).join(' ')}], ${statements} statements${fails}`;
    if (kind === 'raw') return `raw ${text}`;
    const ratio = median(bursts.map((b, i) => b.wallMs / (rawBursts[i]?.wallMs ?? NaN)));
    return `${kind} ${text}, wall ratio ${ratioText(ratio)}`;
  });
  for (const kind of CONNECT_KINDS) {
    (t.bursts[kind] ?? []).forEach((b, i) => {
      const texts = Object.entries(b.extraBySql).map(([sql, n]) => `\`${sql}\` ×${n}`);
      if (texts.length > 0)
        console.log(`${engine.padEnd(9)}   burst ${i + 1} of ${kind} also sent: ${texts.join(' · ')}`);
    });
  }
  console.log(
    `${engine.padEnd(9)} ${BURST} simultaneous connects + SELECT 1 (${BURST_ROUNDS} rounds, median): ${burst.join(' | ')}`,
  );
}

async function benchEngine(engine: 'postgres' | 'mysql'): Promise<void> {
  const started = Date.now();
  const cluster = await startClusterOrExplain({ engine, instances: INSTANCES });
  try {
    const target: ConnectTarget = { engine, ...cluster.writerEndpoint, ...cluster.credentials };
    console.log(
      `${engine.padEnd(9)} connect row: fresh ${INSTANCES}-instance cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s, clients through ${cluster.writerEndpoint.host}`,
    );
    for (const kind of CONNECT_KINDS) {
      printCounts(engine, kind, await inChild<ConnectCount[]>(cluster, { mode: 'count', target, kind }));
    }
    for (const kind of CONNECT_KINDS) {
      const [cold] = await inChild<ConnectCount[]>(cluster, {
        mode: 'count',
        target,
        kind,
        burst: COLD_BURST,
      });
      if (cold !== undefined) {
        console.log(
          `${engine.padEnd(9)} statements at connect, ${kind}, ${COLD_BURST} at once in a fresh process, all together: ${describe(cold)}`,
        );
      }
    }
    const timing = await inChild<ConnectTiming>(cluster, {
      mode: 'time',
      target,
      rounds: ROUNDS,
      perRound: PER_ROUND,
      burst: BURST,
      burstRounds: BURST_ROUNDS,
    });
    printTiming(engine, timing);
  } finally {
    await cluster.stop();
  }
}

/** Print the connect row of both engines, one fresh cluster at a time. */
export async function benchConnect(): Promise<void> {
  // BENCH_CONNECT_ENGINES=postgres (or mysql) runs one engine only (default: both).
  const engines = process.env.BENCH_CONNECT_ENGINES ?? 'postgres,mysql';
  if (engines.includes('postgres')) await benchEngine('postgres');
  if (engines.includes('mysql')) await benchEngine('mysql');
}
