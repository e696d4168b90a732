/**
 * bench:fleet's baseline *during* the failover window (issue 25, with issue 26 item 2): on a
 * fresh cluster of the same shape, P attached processes with no connection of their own wait;
 * the writer is failed over and, the moment the emulator reports the promotion, each process
 * opens N fresh plain connections at once straight to the new writer (connect + one write). Those
 * P × N logins meet the conditions of the failover's reconnects — a writer promoted a moment ago
 * while the emulator re-points the other reader and rebuilds the old writer on the same cores —
 * with no failover logic in front of them. The baseline after the cluster settled (group-run.ts)
 * is the other reference.
 */
import { now, within } from '../failover/clock.js';
import { ConnectCounter } from '../failover/connect-counter.js';
import { startClusterOrExplain } from '../failover/start-cluster.js';
import { summarize, type Summary } from '../failover/stats.js';
import type { Engine } from '../failover/write-clients.js';
import { prepareClusterWritesTable } from '../failover/writes-table.js';
import { awaitPromotion } from '../failover/window-baseline.js';
import { spawnFleet, type FleetChild } from './children.js';
import { engineAddress } from './measures.js';
import { peakPerSecond } from './rates.js';

export interface FleetWindowBaseline {
  /** Promotion → each connection's first write, ms. */
  afterPromotion: Summary;
  /** Each connection's own connect + first write, ms. */
  connectToWrite: Summary;
  failed: number;
  /** Logins the new writer's proxy forwarded, busiest second. */
  loginsPeak: number;
  /** When the last process started its connections, after the promotion, ms. */
  openedAfterPromotionMs: number;
}

const FAILOVER_SETTLE_BOUND_MS = 60_000;

export async function fleetWindowBaseline(
  settings: { engine: Engine; processes: number; connections: number; dnsLagMs: number },
  signal: AbortSignal,
): Promise<FleetWindowBaseline | undefined> {
  const { engine, processes: p, connections: n } = settings;
  const cluster = await startClusterOrExplain({ engine, instances: 3, dnsLagMs: settings.dnsLagMs });
  let children: FleetChild[] = [];
  const logins = new ConnectCounter(cluster.writerEndpoint.port);
  try {
    const target = await prepareClusterWritesTable(engine, cluster);
    // Plain processes with no connection of their own: they only answer 'baseline'.
    children = spawnFleet(
      p,
      {
        engine,
        family: 'plain',
        options: {},
        target,
        connections: 0,
        pacing: { writeIntervalMs: 1000, reconnectBackoffMs: 100, reconnectBackoffMaxMs: 1000 },
      },
      cluster.controlEndpoint,
    );
    // Every process up (its modules loaded) before the fault.
    await Promise.all(children.map((c) => c.ask({ cmd: 'status', since: 0 }, 'status')));
    if (signal.aborted) return undefined;
    const since = now();
    const failover = cluster.failover().then(
      () => undefined,
      () => undefined,
    );
    const promoted = await awaitPromotion(cluster, since, signal);
    const instance = cluster.instances().find((i) => i.id === promoted?.instanceId);
    if (promoted === undefined || instance === undefined) {
      await within(failover, FAILOVER_SETTLE_BOUND_MS, undefined);
      return undefined;
    }
    const from = now();
    const answers = await Promise.all(
      children.map((c) => c.ask({ cmd: 'baseline', host: instance.host, n }, 'baseline')),
    );
    const to = now();
    await within(failover, FAILOVER_SETTLE_BOUND_MS, undefined);
    const at = promoted.at;
    return {
      afterPromotion: summarize(answers.flatMap((a) => a.times.map((t) => a.startedAt - at + t))),
      connectToWrite: summarize(answers.flatMap((a) => a.times)),
      failed: answers.reduce((s, a) => s + a.failed, 0),
      loginsPeak: peakPerSecond(logins.timesTo(engineAddress(instance.address), from, to), from, to),
      openedAfterPromotionMs: Math.max(0, ...answers.map((a) => Math.round(a.startedAt - at))),
    };
  } finally {
    logins.stop();
    await Promise.all(children.map((c) => c.close()));
    await cluster.stop();
  }
}
