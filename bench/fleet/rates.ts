/**
 * Per-second rates for bench:fleet: the most events in any one-second window (sliding, so a
 * burst straddling a second boundary is not split), overall and per key (an instance).
 */

/** Most of `times` within [from, to] that fall in one window of 1,000 ms. */
export function peakPerSecond(times: readonly number[], from: number, to: number): number {
  const sorted = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
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
