/**
 * How many aurora-ha logical connections of this process are open on each instance now
 * (`host:port` → count), for getClusterStatus and metrics. A logical connection is counted
 * where its current physical connection is: on the instance when its host is known to be
 * one (a cluster endpoint is counted on the instance behind it once the failover plugin
 * identified it), else on the host as opened. Updated when a physical connection is put in
 * place or let go, never per query; entries leave at zero.
 */
const counts = new Map<string, number>();

/** Move one connection's count from `from` to `to` (either may be undefined). */
export function moveOpenCount(from: string | undefined, to: string | undefined): void {
  if (from === to) return;
  if (from !== undefined) {
    const n = (counts.get(from) ?? 0) - 1;
    if (n <= 0) counts.delete(from);
    else counts.set(from, n);
  }
  if (to !== undefined) counts.set(to, (counts.get(to) ?? 0) + 1);
}

/** Open aurora-ha connections on `key` (`host:port`). */
export function openConnectionsOn(key: string): number {
  return counts.get(key) ?? 0;
}

/** A copy of every count (`host:port` → open connections). */
export function openConnectionCounts(): Map<string, number> {
  return new Map(counts);
}
