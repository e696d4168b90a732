/**
 * How many of this process's open aurora-ha connections are on each host (`host:port`), for the
 * `leastConnections` selector. Each logical connection holds one `ConnectionTally`, which counts
 * it under at most one host at a time: the host a new connection was sent to (counted from the
 * moment it is chosen, so connections opened together spread out), then wherever failover moves
 * it, until it ends. Entries leave the map at zero, so nothing grows with the number of
 * connections ever made.
 */

import { hostKey, type HostInfo } from '../drivers/host-info.js';

const counts = new Map<string, number>();

/** Open aurora-ha connections of this process counted on `host`. */
export function openConnectionsTo(host: { host: string; port: number }): number {
  return counts.get(hostKey(host)) ?? 0;
}

/** Hosts with at least one counted connection (for diagnostics and leak tests). */
export function countedHosts(): number {
  return counts.size;
}

function add(key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

/** One logical connection's place in the counts. */
export class ConnectionTally {
  private key: string | undefined;

  /** Count this connection on `host` (or nowhere); a no-op when it is already counted there. */
  moveTo(host: HostInfo | undefined): void {
    const next = host === undefined ? undefined : hostKey(host);
    if (next === this.key) return;
    if (this.key !== undefined) add(this.key, -1);
    if (next !== undefined) add(next, 1);
    this.key = next;
  }

  /** The host this connection is counted on (`host:port`). */
  get countedOn(): string | undefined {
    return this.key;
  }
}
