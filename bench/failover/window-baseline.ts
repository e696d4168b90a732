/**
 * The baseline *during* the failover window (issue 26 item 2): on a fresh cluster of the same
 * shape, fail the writer over and, the moment the emulator reports the promotion, open N fresh
 * plain connections straight to the new writer (connect + one write each). Those logins meet the
 * same conditions as the failover's reconnects — a writer promoted a moment ago while the emulator
 * re-points the other reader and rebuilds the old writer on the same cores — but with no failover
 * logic in front of them: what no client can beat in that window. The baseline taken after the
 * cluster settled (baseline.ts) is the other reference.
 */
import type { EmulatedCluster } from '../../src/emulator.js';
import { now, sleep, within } from './clock.js';
import { freshConnectTimes } from './baseline.js';
import { summarize, type Summary } from './stats.js';
import type { Engine, WriteTarget } from './write-clients.js';

export interface WindowBaseline {
  /** From the promotion on the emulator's timeline to each connection's first write, ms. */
  afterPromotion: Summary;
  /** Each connection's own connect + first write, ms (comparable to the settled baseline). */
  connectToWrite: Summary;
  /** How long after the promotion the connections were opened (the poll's delay), ms. */
  openedAfterPromotionMs: number;
  failed: number;
}

const POLL_MS = 2;
const PROMOTION_BOUND_MS = 60_000;
const FAILOVER_SETTLE_BOUND_MS = 60_000;

/**
 * The emulator's promotion after `since` (polled every 2 ms): when and which instance; undefined
 * after a minute, when `signal` aborts or `gaveUp()` says the failover failed.
 */
export async function awaitPromotion(
  cluster: EmulatedCluster,
  since: number,
  signal: AbortSignal,
  gaveUp: () => boolean = () => false,
): Promise<{ at: number; instanceId: string } | undefined> {
  const bound = since + PROMOTION_BOUND_MS;
  while (!gaveUp() && now() < bound && !signal.aborted) {
    const event = cluster.timeline().find((e) => e.at >= since - 1 && e.kind === 'promoted');
    if (event?.instanceId !== undefined) return { at: event.at, instanceId: event.instanceId };
    await sleep(POLL_MS, signal);
  }
  return undefined;
}

/**
 * Fails `cluster`'s writer over and measures `n` fresh plain connections opened to the new writer
 * at its promotion. The cluster is left failed over (the caller stops it). Undefined when no
 * promotion showed within a minute or `signal` aborted.
 */
export async function promotionWindowBaseline(
  engine: Engine,
  cluster: EmulatedCluster,
  target: WriteTarget,
  n: number,
  signal: AbortSignal,
): Promise<WindowBaseline | undefined> {
  let failoverError: unknown;
  const since = now();
  const failover = cluster.failover().catch((err: unknown) => {
    failoverError = err;
    return undefined;
  });
  const promoted = await awaitPromotion(cluster, since, signal, () => failoverError !== undefined);
  if (promoted === undefined) {
    await within(failover, FAILOVER_SETTLE_BOUND_MS, undefined);
    return undefined;
  }
  const host = cluster.instances().find((i) => i.id === promoted.instanceId)?.host;
  if (host === undefined) throw new Error(`promoted instance ${promoted.instanceId} is not in the cluster`);
  const openedAt = now();
  const { times, failed } = await freshConnectTimes(engine, host, target, n);
  const offset = openedAt - promoted.at;
  await within(failover, FAILOVER_SETTLE_BOUND_MS, undefined);
  return {
    afterPromotion: summarize(times.map((t) => t + offset)),
    connectToWrite: summarize(times),
    openedAfterPromotionMs: Math.round(offset),
    failed,
  };
}
