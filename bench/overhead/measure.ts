/**
 * Measurement loops of the overhead benchmark: throughput for a fixed time slice
 * (sequential on one connection, or N connections each running its own loop) and heap bytes
 * per open connection (after forced garbage collections).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchClient, Variant } from './variants.js';

export interface Slice {
  /** Queries per second (wall clock). */
  opsPerSec: number;
  /** This process's CPU time (user + system) per query, in µs: what the client side costs. */
  cpuUsPerOp: number;
}

/** Run `sql` for `ms` with every client looping on it concurrently. */
export async function throughput(clients: readonly BenchClient[], sql: string, ms: number): Promise<Slice> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let ops = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        await c.query(sql);
        ops++;
      }
    }),
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: (ops * 1000) / elapsed, cpuUsPerOp: (used.user + used.system) / Math.max(ops, 1) };
}

/** `global.gc`, exposed at run time when node was not started with --expose-gc. */
export function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Connections opened (and queried) before the heap is measured: their one-time costs are excluded. */
export const HEAP_WARM_CONNECTIONS = 20;

export interface HeapPerConnection {
  /**
   * Marginal heap bytes per open connection: what the `count` connections opened after the
   * warm-up ones retain, ÷ count. What a 1,000-connection process pays per connection.
   */
  readonly marginal: number;
  /**
   * Heap bytes per connection counted from before the first connection (÷ all of them):
   * includes once-per-process costs (compiled code, per-cluster monitors, caches) spread over
   * the connections.
   * The figure this benchmark reported until 2026-12-07.
   */
  readonly withOneTime: number;
}

async function openMany(variant: Variant, count: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < count; i += 10) {
    clients.push(
      ...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => variant.open()))),
    );
  }
  // One query each so lazily built state (parsers, statement caches) is included.
  await Promise.all(clients.map((c) => c.query('SELECT 1')));
  return clients;
}

/** Heap bytes retained per open connection of `variant` (opening warm-up + `count` of them). */
export async function heapPerConnection(variant: Variant, count: number): Promise<HeapPerConnection> {
  const gc = gcFunction();
  const start = await settledHeap(gc);
  const warm = await openMany(variant, HEAP_WARM_CONNECTIONS);
  const before = await settledHeap(gc);
  const clients = await openMany(variant, count);
  const after = await settledHeap(gc);
  await Promise.all([...warm, ...clients].map((c) => c.end()));
  return {
    marginal: (after - before) / count,
    withOneTime: (after - start) / (count + HEAP_WARM_CONNECTIONS),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
