/**
 * Per-second rates for bench:fleet: the busiest one-second bucket of a list of event times
 * (buckets counted from a start time), overall and per key (an instance).
 */

/** Highest number of `times` in one of the 1 s buckets [from + k s, from + (k+1) s) up to `to`. */
export function peakPerSecond(times: readonly number[], from: number, to: number): number {
  const buckets = new Map<number, number>();
  for (const t of times) {
    if (t < from || t > to) continue;
    const k = Math.floor((t - from) / 1000);
    buckets.set(k, (buckets.get(k) ?? 0) + 1);
  }
  return Math.max(0, ...buckets.values());
}

/** peakPerSecond of each key's times; keys sorted. */
export function peakPerSecondByKey(
  events: readonly { key: string; t: number }[],
  from: number,
  to: number,
): Map<string, number> {
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    const list = byKey.get(e.key) ?? [];
    list.push(e.t);
    byKey.set(e.key, list);
  }
  return new Map(
    [...byKey.keys()].sort().map((key) => [key, peakPerSecond(byKey.get(key) ?? [], from, to)] as const),
  );
}
