/**
 * Child process of the connect row (connect.ts), attached to the emulated cluster (started
 * with `--import dist/emulator-attach.js`, AURORA_HA_EMULATOR set) so the writer endpoint
 * resolves here while the emulator's proxy runs in the parent, not on this event loop.
 * Argument: one JSON ConnectChildArgs. Prints one line `RESULT <json>` on stdout.
 * - `count`: one variant, fresh process (cold caches): opens COUNT_CONNECTS connections one
 *   after another (kept open) and, per connect, lists the statements sent on that
 *   connection before its first `SELECT 1`, the statements sent on other connections in the
 *   meantime, and the physical connections aurora-ha opened (by `purpose`). With `burst`:
 *   instead, `burst` connections opened at once in the fresh process (a pool filling at start-up),
 *   counted together.
 * - `time`: every variant, interleaved: connect + first `SELECT 1`, sequentially (rounds of
 *   `perRound` connects per variant, order rotating) and in bursts of `burst` simultaneous
 *   connects; one connection of each variant stays open throughout (process-wide caches warm,
 *   as in an application that already holds connections).
 */
import { subscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectMessage } from '../../src/observe/channels.js';
import type { ConnectKind, ConnectTarget } from './connect-clients.js';
import { install, record, sent, totals } from './statement-counter.js';
import type { BenchClient } from './variants.js';

// Before the package and the drivers' users load: wrap the drivers' entry points.
install();
const { CONNECT_KINDS, opener } = await import('./connect-clients.js');

export interface ConnectChildArgs {
  readonly mode: 'count' | 'time';
  readonly target: ConnectTarget;
  /** `count`: the variant. */
  readonly kind?: ConnectKind;
  /** `count`: connections opened at once (cold), `time`: per burst. */
  readonly burst?: number;
  /** `time`: rounds, connects per variant and round, burst rounds. */
  readonly rounds?: number;
  readonly perRound?: number;
  readonly burstRounds?: number;
}

export interface ConnectCount {
  /** Statements on the new connection before its first `SELECT 1`. */
  readonly own: readonly string[];
  /** Statements on other connections while it opened (monitors, probes, discarded connections). */
  readonly other: readonly string[];
  /** Physical connections aurora-ha opened meanwhile, by purpose (`aurora-ha:connect`). */
  readonly opened: Readonly<Record<string, number>>;
}

export interface BurstResult {
  /** Wall time until every connection answered its first `SELECT 1`, ms. */
  readonly wallMs: number;
  /** Per connection, from the burst's start to its `SELECT 1` answered, ms. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Statements sent in the process during the burst besides the `SELECT 1`s, per connection. */
  readonly extraStatements: number;
  /** Those statements by text (`SELECT 1` left out). */
  readonly extraBySql: Record<string, number>;
}

export interface ConnectTiming {
  /** Per variant, every sequential connect + `SELECT 1`, µs, round by round. */
  readonly sequentialUs: Record<string, number[][]>;
  /** Per variant, one entry per burst round. */
  readonly bursts: Record<string, BurstResult[]>;
  /** Per variant, statements sent in the process during its sequential connects besides the `SELECT 1`s, per connect. */
  readonly sequentialExtra: Record<string, number>;
  /** Per variant, this process's CPU time (user + system) per sequential connect + `SELECT 1` + end, µs. */
  readonly sequentialCpuUs: Record<string, number>;
}

const MARKER = 'SELECT 1 AS connect_bench';
const COUNT_CONNECTS = 4;

const args = JSON.parse(process.argv[2] ?? '{}') as ConnectChildArgs;

const opened: string[] = [];
subscribe('tracing:aurora-ha:connect:start', (message) => {
  opened.push((message as ConnectMessage).purpose);
});

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

async function count(target: ConnectTarget, kind: ConnectKind): Promise<ConnectCount[]> {
  const open = opener(target, kind);
  const clients: BenchClient[] = [];
  const out: ConnectCount[] = [];
  try {
    for (let i = 0; i < COUNT_CONNECTS; i++) {
      const fromSent = sent.length;
      const fromOpened = opened.length;
      const c = await open();
      clients.push(c);
      await c.query(MARKER);
      const window = sent.slice(fromSent);
      const marker = window.find((s) => s.sql === MARKER);
      if (marker === undefined) throw new Error('the marker statement was not seen: the counter missed it');
      const own = window.filter((s) => s.conn === marker.conn && s !== marker).map((s) => s.sql);
      const other = window.filter((s) => s.conn !== marker.conn).map((s) => s.sql);
      const byPurpose: Record<string, number> = {};
      for (const p of opened.slice(fromOpened)) byPurpose[p] = (byPurpose[p] ?? 0) + 1;
      out.push({ own, other, opened: byPurpose });
      // Let what a connect starts in the background (a monitor's first read) land in this window, not the next.
      await sleep(300);
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return out;
}

/** `n` connections opened at once in a cold process: what was sent, all connections together. */
async function countBurst(target: ConnectTarget, kind: ConnectKind, n: number): Promise<ConnectCount[]> {
  const open = opener(target, kind);
  const fromSent = sent.length;
  const fromOpened = opened.length;
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = await open();
      await c.query(MARKER);
      return c;
    }),
  );
  try {
    const window = sent.slice(fromSent);
    const users = new Set(window.filter((s) => s.sql === MARKER).map((s) => s.conn));
    const own = window.filter((s) => users.has(s.conn) && s.sql !== MARKER).map((s) => s.sql);
    const other = window.filter((s) => !users.has(s.conn)).map((s) => s.sql);
    const byPurpose: Record<string, number> = {};
    for (const p of opened.slice(fromOpened)) byPurpose[p] = (byPurpose[p] ?? 0) + 1;
    return [{ own, other, opened: byPurpose }];
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function connectAndSelect(open: () => Promise<BenchClient>): Promise<BenchClient> {
  const c = await open();
  try {
    await c.query('SELECT 1');
  } catch (err) {
    await c.end().catch(() => undefined);
    throw err;
  }
  return c;
}

async function burst(open: () => Promise<BenchClient>, n: number): Promise<BurstResult> {
  const started = performance.now();
  const fromSent = totals.sent;
  const before = new Map(totals.bySql);
  const times: number[] = [];
  const settled = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const c = await connectAndSelect(open);
      times.push(performance.now() - started);
      return c;
    }),
  );
  const wallMs = performance.now() - started;
  const statements = totals.sent - fromSent - times.length;
  const extraBySql: Record<string, number> = {};
  for (const [sql, count] of totals.bySql) {
    const added = count - (before.get(sql) ?? 0);
    if (added > 0 && sql !== 'SELECT 1') extraBySql[sql] = added;
  }
  const clients: BenchClient[] = [];
  let firstError: string | undefined;
  for (const s of settled) {
    if (s.status === 'fulfilled') clients.push(s.value);
    else firstError ??= s.reason instanceof Error ? s.reason.message : String(s.reason);
  }
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  return {
    wallMs,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    failed: n - clients.length,
    firstError,
    extraStatements: statements / n,
    extraBySql,
  };
}

async function time(a: ConnectChildArgs): Promise<ConnectTiming> {
  record(false);
  const rounds = a.rounds ?? 20;
  const perRound = a.perRound ?? 5;
  const n = a.burst ?? 1000;
  const burstRounds = a.burstRounds ?? 2;
  const open = {} as Record<ConnectKind, () => Promise<BenchClient>>;
  const sequentialUs = {} as Record<ConnectKind, number[][]>;
  const bursts = {} as Record<ConnectKind, BurstResult[]>;
  const extra = {} as Record<ConnectKind, number>;
  const cpuUs = {} as Record<ConnectKind, number>;
  for (const kind of CONNECT_KINDS) {
    cpuUs[kind] = 0;
    open[kind] = opener(a.target, kind);
    sequentialUs[kind] = [];
    bursts[kind] = [];
    extra[kind] = 0;
  }
  const anchors = await Promise.all(CONNECT_KINDS.map((k) => connectAndSelect(open[k])));
  try {
    // Warm-up (JIT, the drivers' and aurora-ha's caches), not recorded.
    for (const kind of CONNECT_KINDS) {
      for (let i = 0; i < 3; i++) await (await connectAndSelect(open[kind])).end();
    }
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < CONNECT_KINDS.length; i++) {
        const kind = CONNECT_KINDS[(round + i) % CONNECT_KINDS.length] as ConnectKind;
        const samples: number[] = [];
        const cpu = process.cpuUsage();
        for (let k = 0; k < perRound; k++) {
          const fromSent = totals.sent;
          const started = performance.now();
          const c = await connectAndSelect(open[kind]);
          samples.push((performance.now() - started) * 1000);
          extra[kind] += totals.sent - fromSent - 1;
          await c.end();
        }
        const used = process.cpuUsage(cpu);
        cpuUs[kind] += used.user + used.system;
        sequentialUs[kind].push(samples);
      }
    }
    for (let round = 0; round < burstRounds; round++) {
      for (let i = 0; i < CONNECT_KINDS.length; i++) {
        const kind = CONNECT_KINDS[(round + i) % CONNECT_KINDS.length] as ConnectKind;
        bursts[kind].push(await burst(open[kind], n));
        // Let the server reap the closed sessions (PostgreSQL: one process each) before the next burst.
        await sleep(1000);
      }
    }
  } finally {
    await Promise.all(anchors.map((c) => c.end()));
  }
  const sequentialExtra = {} as Record<ConnectKind, number>;
  const sequentialCpuUs = {} as Record<ConnectKind, number>;
  for (const kind of CONNECT_KINDS) {
    sequentialExtra[kind] = extra[kind] / (rounds * perRound);
    sequentialCpuUs[kind] = cpuUs[kind] / (rounds * perRound);
  }
  return { sequentialUs, bursts, sequentialExtra, sequentialCpuUs };
}

async function main(): Promise<void> {
  if (args.mode === 'count') {
    if (args.kind === undefined) throw new Error('count needs a kind');
    const counted =
      args.burst === undefined
        ? await count(args.target, args.kind)
        : await countBurst(args.target, args.kind, args.burst);
    console.log(`RESULT ${JSON.stringify(counted)}`);
  } else {
    console.log(`RESULT ${JSON.stringify(await time(args))}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
