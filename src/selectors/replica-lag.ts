/**
 * The `maxReplicaLagMs` filter: which hosts a new reader connection may go to. A reader whose
 * known lag (the topology's `lagMs`) exceeds the limit returns stale data, so it is left out;
 * the writer, hosts of unknown role and readers of unknown lag always stay.
 */
import type { HostInfo } from '../drivers/host-info.js';

/** True when `host` is a reader known to lag more than `maxLagMs`. */
export function lagsTooMuch(host: HostInfo, maxLagMs: number): boolean {
  return host.role === 'reader' && host.lagMs !== undefined && host.lagMs > maxLagMs;
}

/**
 * `hosts` without the readers lagging more than `maxLagMs` (all of them when undefined). When
 * that leaves no available reader and `keepWhenNoneLeft`, the hosts as given: a stale reader
 * then beats a dead one.
 */
export function withinReplicaLag(
  hosts: readonly HostInfo[],
  maxLagMs: number | undefined,
  keepWhenNoneLeft = false,
): readonly HostInfo[] {
  if (maxLagMs === undefined || !hosts.some((h) => lagsTooMuch(h, maxLagMs))) return hosts;
  const kept = hosts.filter((h) => !lagsTooMuch(h, maxLagMs));
  if (keepWhenNoneLeft && !kept.some((h) => h.role === 'reader' && h.availability === 'available'))
    return hosts;
  return kept;
}
