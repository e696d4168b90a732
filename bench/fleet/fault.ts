/**
 * The fault of one bench:fleet group: `cluster.failover()` while the processes keep writing,
 * then a poll of every process (every 250 ms) until each ready connection wrote after the
 * promotion or the bound; the emulator process's event-loop delay is sampled over that span.
 * Then each process stops its writers and reports (protocol.ts › StopReport).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EmulatedCluster } from '../../src/emulator.js';
import { now, sleep, within } from '../failover/clock.js';
import type { FleetChild } from './children.js';
import type { StopReport } from './protocol.js';

const POLL_MS = 250;
/** monitorEventLoopDelay's sampling interval: its histogram records interval + delay. */
const DELAY_RESOLUTION_MS = 10;

export interface FaultOutcome {
  faultAt: number;
  promotedAt: number | undefined;
  /** When the poll ended (all recovered, the bound, or an interrupt). */
  pollEndedAt: number;
  newWriter: string | undefined;
  failoverError: string | undefined;
  /** Beyond the sampling interval, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  reports: StopReport[];
}

function promotedAtOf(cluster: EmulatedCluster, since: number): number | undefined {
  return cluster.timeline().find((e) => e.kind === 'promoted' && e.at >= since - 1)?.at;
}

export async function failOverAndWait(
  cluster: EmulatedCluster,
  children: readonly FleetChild[],
  ready: number,
  maxAfterFaultMs: number,
  signal: AbortSignal,
): Promise<FaultOutcome> {
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  const faultAt = now();
  delay.enable();
  let newWriter: string | undefined;
  let failoverError: string | undefined;
  let failoverDone = false;
  const failover = (signal.aborted ? Promise.reject(new Error('interrupted')) : cluster.failover())
    .then(
      (r) => {
        newWriter = r.newWriter;
      },
      (err: unknown) => {
        failoverError = err instanceof Error ? err.message : String(err);
      },
    )
    .finally(() => {
      failoverDone = true;
    });
  const hardStop = faultAt + maxAfterFaultMs;
  let promotedAt: number | undefined;
  while (!signal.aborted && now() < hardStop) {
    await sleep(POLL_MS, signal);
    promotedAt ??= promotedAtOf(cluster, faultAt);
    if (promotedAt === undefined || !failoverDone) continue;
    const since = promotedAt;
    const statuses = await Promise.all(children.map((c) => c.ask({ cmd: 'status', since }, 'status')));
    if (statuses.reduce((s, x) => s + x.recovered, 0) >= ready) break;
  }
  delay.disable();
  const pollEndedAt = now();
  const reports: StopReport[] = await Promise.all(
    children.map((c) => c.ask({ cmd: 'stop', faultAt, promotedAt }, 'stopped')),
  );
  await within(failover, 5_000, undefined);

  const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e5 - 10 * DELAY_RESOLUTION_MS) / 10);
  return {
    faultAt,
    promotedAt,
    pollEndedAt,
    newWriter,
    failoverError,
    eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    reports,
  };
}
