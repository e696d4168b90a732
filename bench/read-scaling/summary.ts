/**
 * What a group's read records amount to: reads ok, failed (by error kind), wrong, p95 latency
 * before the crash (reads started after the warm-up and ended before the crash) and after it
 * (reads started within `afterMs` of it), reads in flight at the crash, the longest read, and
 * the readers answering after the crash.
 */
import { percentileOfSorted } from '../failover/stats.js';
import type { GroupRun } from './workload.js';

export interface GroupSummary {
  /** Reads that returned the seeded rows. */
  ok: number;
  failed: number;
  errors: Record<string, number>;
  wrong: number;
  p95BeforeMs: number;
  p95AfterMs: number;
  /** Reads started before the crash and ended after it: count and longest. */
  inFlight: { count: number; maxMs: number };
  longestMs: number;
  /** Successful reads started after the crash, by answering instance. */
  afterBy: Record<string, number>;
}

function p95(values: number[]): number {
  return percentileOfSorted(
    values.sort((a, b) => a - b),
    95,
  );
}

export function summarizeGroup(run: GroupRun, afterMs: number): GroupSummary {
  const errors: Record<string, number> = {};
  const before: number[] = [];
  const after: number[] = [];
  const inFlight: number[] = [];
  const afterBy: Record<string, number> = {};
  let ok = 0;
  let wrong = 0;
  let longestMs = 0;
  for (const r of run.records) {
    const ms = r.end - r.start;
    longestMs = Math.max(longestMs, ms);
    if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
    else if (r.wrong === true) wrong++;
    else ok++;
    if (r.end < run.crashAt) {
      if (r.start >= run.warmedAt) before.push(ms);
    } else if (r.start < run.crashAt) inFlight.push(ms);
    else if (r.start < run.crashAt + afterMs) {
      after.push(ms);
      if (r.instance !== undefined) afterBy[r.instance] = (afterBy[r.instance] ?? 0) + 1;
    }
  }
  return {
    ok,
    failed: run.records.length - ok - wrong,
    errors,
    wrong,
    p95BeforeMs: p95(before),
    p95AfterMs: p95(after),
    inFlight: { count: inFlight.length, maxMs: inFlight.length === 0 ? 0 : Math.max(...inFlight) },
    longestMs,
    afterBy,
  };
}
