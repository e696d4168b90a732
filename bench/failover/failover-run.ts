/**
 * One failover run on an emulated cluster: start groups of workers against the writer cluster
 * endpoint, let them reach a steady state, trigger `cluster.failover()`, keep them writing until
 * every worker has written again after the promotion (or a bound), then stop them. Used by the
 * demo (two groups side by side, live progress) and by the failover benchmark (one group a run).
 */
import { setMaxListeners } from 'node:events';
import type { EmulatedCluster, TimelineEvent } from '../../src/emulator.js';
import { now, sleep, within } from './clock.js';
import { runWorker, WorkerRecord, type Pacing } from './worker-loop.js';
import type { WriteClient, WriteTarget } from './write-clients.js';

export interface GroupSpec {
  name: string;
  client: WriteClient;
  workers: number;
}

export interface FailoverRunOptions {
  cluster: EmulatedCluster;
  target: WriteTarget;
  groups: readonly GroupSpec[];
  pacing: Pacing;
  /** Steady state before the fault (after every worker wrote once). */
  steadyMs: number;
  /** Longest wait for every worker to write once before the steady state (default 15 s). */
  warmUpMs?: number;
  /** Spread the workers' starts evenly over this many ms (default 0: all at once). */
  rampMs?: number;
  /**
   * Start the workers of each group this many at a time: the next batch starts once every
   * worker of the previous one has written once (bounded by the warm-up). 0: all at once. A
   * start-up that converges: 1,000 simultaneous logins on a small machine time out and retry.
   */
  connectBatch?: number;
  /** Keep writing this long after the last worker recovered. */
  settleMs: number;
  /** Also keep going until the cluster endpoint switched (plus settleMs): the demo shows it. */
  untilDnsSwitched: boolean;
  /** Hard bound after the fault. */
  maxAfterFaultMs: number;
  signal: AbortSignal;
  /** Called about once a second while the run lasts (progress lines). */
  onSecond?: (at: number, records: ReadonlyMap<string, readonly WorkerRecord[]>) => void;
}

export interface FailoverRunResult {
  records: ReadonlyMap<string, readonly WorkerRecord[]>;
  /** When failover() was called. */
  triggeredAt: number;
  /**
   * The fault: when failover() was called. The instance stops answering at once; the emulator
   * stamps 'writer-lost' only once the kill has completed, which can be a second later.
   */
  faultAt: number;
  writerLostAt: number | undefined;
  promotedAt: number | undefined;
  dnsSwitchedAt: number | undefined;
  newWriter: string | undefined;
  failoverError: string | undefined;
  /** Timeline events from the trigger on. */
  timeline: TimelineEvent[];
  endedAt: number;
  /** From the first worker's start until every worker had written once; undefined if some never did. */
  readyMs: number | undefined;
}

const WARM_UP_BOUND_MS = 15_000;
const POLL_MS = 100;
const WORKER_STOP_BOUND_MS = 5_000;

function firstEvent(events: readonly TimelineEvent[], kind: TimelineEvent['kind']): number | undefined {
  return events.find((e) => e.kind === kind)?.at;
}

function recovered(record: WorkerRecord, after: number): boolean {
  const last = record.successes.at(-1);
  const lastError = record.errors.at(-1)?.at ?? 0;
  return last !== undefined && last > after && last > lastError;
}

export async function runFailover(options: FailoverRunOptions): Promise<FailoverRunResult> {
  const { cluster, signal } = options;
  const records = new Map<string, WorkerRecord[]>();
  const stop = new AbortController();
  // Every worker's pacing sleep listens on this signal.
  setMaxListeners(options.groups.reduce((n, g) => n + g.workers, 0) + 10, stop.signal);
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const workers: Promise<void>[] = [];
  const pending: { group: GroupSpec; record: WorkerRecord; delay: number }[] = [];
  for (const group of options.groups) {
    const list: WorkerRecord[] = [];
    records.set(group.name, list);
    for (let i = 0; i < group.workers; i++) {
      const record = new WorkerRecord(group.name, i);
      list.push(record);
      const delay = options.rampMs === undefined ? 0 : (options.rampMs * i) / group.workers;
      pending.push({ group, record, delay });
    }
  }
  const start = ({ group, record, delay }: (typeof pending)[number]): void => {
    workers.push(
      delay === 0
        ? runWorker(group.client, options.target, record, options.pacing, stop.signal)
        : sleep(delay, stop.signal).then(() =>
            stop.signal.aborted
              ? undefined
              : runWorker(group.client, options.target, record, options.pacing, stop.signal),
          ),
    );
  };
  const all = [...records.values()].flat();
  let nextSecond = now() + 1000;
  const tick = (): void => {
    const t = now();
    if (t >= nextSecond) {
      nextSecond += 1000 * Math.max(1, Math.floor((t - nextSecond) / 1000) + 1);
      options.onSecond?.(t, records);
    }
  };
  const waitWhile = async (condition: () => boolean): Promise<void> => {
    while (!stop.signal.aborted && condition()) {
      await sleep(POLL_MS, stop.signal);
      tick();
    }
  };

  try {
    const startedAt = now();
    const warmUpUntil = startedAt + (options.warmUpMs ?? WARM_UP_BOUND_MS);
    const batch =
      options.connectBatch !== undefined && options.connectBatch > 0 ? options.connectBatch : pending.length;
    for (let i = 0; i < pending.length && !stop.signal.aborted; i += batch) {
      const wave = pending.slice(i, i + batch);
      wave.forEach(start);
      await waitWhile(() => now() < warmUpUntil && wave.some((w) => w.record.successes.length === 0));
    }
    await waitWhile(() => now() < warmUpUntil && all.some((r) => r.successes.length === 0));
    const readyMs = all.every((r) => r.successes.length > 0) ? now() - startedAt : undefined;
    const steadyUntil = now() + options.steadyMs;
    await waitWhile(() => now() < steadyUntil);

    const triggeredAt = now();
    // For CPU profiles of a run (node --cpu-prof): the fault on the profile's clock, in µs.
    if (process.env.BENCH_PRINT_FAULT_HRTIME === '1')
      console.error(`fault at hrtime ${process.hrtime.bigint() / 1000n} µs`);
    let newWriter: string | undefined;
    let failoverError: string | undefined;
    let failoverDone = false;
    // Interrupted before the fault: nothing to trigger, the caller stops the cluster.
    const failover = (
      stop.signal.aborted ? Promise.reject(new Error('interrupted')) : cluster.failover()
    ).then(
      (r) => {
        newWriter = r.newWriter;
      },
      (err: unknown) => {
        failoverError = err instanceof Error ? err.message : String(err);
      },
    );
    void failover.finally(() => {
      failoverDone = true;
    });

    const events = (): TimelineEvent[] => cluster.timeline().filter((e) => e.at >= triggeredAt - 1);
    const hardStop = triggeredAt + options.maxAfterFaultMs;
    let allRecoveredAt: number | undefined;
    await waitWhile(() => {
      const t = now();
      if (t >= hardStop) return false;
      const timeline = events();
      const promotedAt = firstEvent(timeline, 'promoted');
      if (!failoverDone || promotedAt === undefined) return true;
      if (allRecoveredAt === undefined) {
        if (!all.every((r) => recovered(r, promotedAt))) return true;
        allRecoveredAt = t;
      }
      if (t < allRecoveredAt + options.settleMs) return true;
      if (!options.untilDnsSwitched) return false;
      const dnsAt = firstEvent(timeline, 'dns-switched');
      return dnsAt === undefined || t < dnsAt + options.settleMs;
    });
    stop.abort();
    await within(Promise.all(workers), WORKER_STOP_BOUND_MS, []);
    await within(failover, WORKER_STOP_BOUND_MS, undefined);

    const timeline = events();
    return {
      records,
      triggeredAt,
      faultAt: triggeredAt,
      writerLostAt: firstEvent(timeline, 'writer-lost'),
      promotedAt: firstEvent(timeline, 'promoted'),
      dnsSwitchedAt: firstEvent(timeline, 'dns-switched'),
      newWriter,
      failoverError,
      timeline,
      endedAt: now(),
      readyMs,
    };
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
  }
}
