/**
 * Per-worker outage of a failover run and its per-group summary. A worker's downtime is the
 * longest gap between two consecutive successful writes that ends after the fault (last success
 * before → first success after); its delay after promotion is that first success minus the
 * emulator's 'promoted' event.
 */
import { summarize, type Summary } from './stats.js';
import type { WorkerRecord } from './worker-loop.js';

export interface WorkerOutage {
  worker: number;
  /** Wrote successfully before the fault (a worker that never got a connection measures nothing). */
  ready: boolean;
  lastSuccessBefore: number | undefined;
  firstSuccessAfter: number | undefined;
  downtimeMs: number | undefined;
  afterPromotionMs: number | undefined;
}

export interface GroupOutage {
  group: string;
  workers: number;
  /** Workers that never wrote before the fault (e.g. refused by max_connections); not in the figures. */
  notReady: number;
  /** Ready workers with no successful write after the fault before the run ended. */
  unrecovered: number;
  downtime: Summary;
  afterPromotion: Summary;
  /** Error counts by kind over the whole run. */
  errors: Record<string, number>;
  perWorker: WorkerOutage[];
}

export function workerOutage(
  record: WorkerRecord,
  faultAt: number,
  promotedAt: number | undefined,
): WorkerOutage {
  const s = record.successes;
  if (s.length === 0 || s[0]! > faultAt)
    return {
      worker: record.worker,
      ready: false,
      lastSuccessBefore: undefined,
      firstSuccessAfter: undefined,
      downtimeMs: undefined,
      afterPromotionMs: undefined,
    };
  let best: [number, number] | undefined;
  for (let i = 1; i < s.length; i++) {
    const before = s[i - 1]!;
    const after = s[i]!;
    if (after <= faultAt) continue;
    if (best === undefined || after - before > best[1] - best[0]) best = [before, after];
  }
  if (best === undefined) {
    const before = s.filter((t) => t <= faultAt).at(-1);
    return {
      worker: record.worker,
      ready: true,
      lastSuccessBefore: before,
      firstSuccessAfter: undefined,
      downtimeMs: undefined,
      afterPromotionMs: undefined,
    };
  }
  const [before, after] = best;
  return {
    worker: record.worker,
    ready: true,
    lastSuccessBefore: before,
    firstSuccessAfter: after,
    downtimeMs: after - before,
    afterPromotionMs: promotedAt === undefined ? undefined : after - promotedAt,
  };
}

export function groupOutage(
  group: string,
  records: readonly WorkerRecord[],
  faultAt: number,
  promotedAt: number | undefined,
): GroupOutage {
  const perWorker = records.map((r) => workerOutage(r, faultAt, promotedAt));
  const errors: Record<string, number> = {};
  for (const r of records) for (const e of r.errors) errors[e.kind] = (errors[e.kind] ?? 0) + 1;
  const defined = (xs: (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined);
  return {
    group,
    workers: records.length,
    notReady: perWorker.filter((w) => !w.ready).length,
    unrecovered: perWorker.filter((w) => w.ready && w.firstSuccessAfter === undefined).length,
    downtime: summarize(defined(perWorker.map((w) => w.downtimeMs))),
    afterPromotion: summarize(defined(perWorker.map((w) => w.afterPromotionMs))),
    errors,
    perWorker,
  };
}
