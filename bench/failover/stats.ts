/** Percentiles and the p50/p95/max summary printed by the demo and the failover benchmark. */

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentile (`p` in 0..100) of already sorted values; NaN when empty. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** `p50 / p95 / max` in whole milliseconds, `-` when there is nothing to summarize. */
export function formatSummary(s: Summary): string {
  if (s.count === 0) return '-';
  return `${Math.round(s.p50)} / ${Math.round(s.p95)} / ${Math.round(s.max)}`;
}
