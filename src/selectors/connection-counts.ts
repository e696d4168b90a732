/**
 * How many open aurora-ha connections are on each host (`host:port`), for the
 * `leastConnections` selector. Counts live in a scope: each aurora-ha pool (pg `Pool`, mysql2
 * `createPool`) has its own, so a pool spreads its own connections evenly whatever other pools
 * do (issue 23); connections outside a pool share the process's scope. Each logical connection
 * holds one `ConnectionTally`, which counts it under at most one host at a time: the host a new
 * connection was sent to (counted from the moment it is chosen, so connections opened together
 * spread out), then wherever failover moves it, until it ends. Entries leave the map at zero,
 * so nothing grows with the number of connections ever made.
 */

import { hostKey, type HostInfo } from '../drivers/host-info.js';

/** One scope of counts (a pool's, or the process's). */
export class ConnectionCounts {
  private readonly counts = new Map<string, number>();

  /** Open connections of this scope counted on `host`. */
  openTo(host: { host: string; port: number }): number {
    return this.counts.get(hostKey(host)) ?? 0;
  }

  /** Hosts with at least one counted connection (diagnostics and leak tests). */
  get hosts(): number {
    return this.counts.size;
  }

  add(key: string, delta: number): void {
    const n = (this.counts.get(key) ?? 0) + delta;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}

/** The scope of connections that belong to no aurora-ha pool. */
export const processCounts = new ConnectionCounts();

/** Open aurora-ha connections of this process outside pools counted on `host`. */
export function openConnectionsTo(host: { host: string; port: number }): number {
  return processCounts.openTo(host);
}

/** Hosts with at least one counted connection outside pools (for diagnostics and leak tests). */
export function countedHosts(): number {
  return processCounts.hosts;
}

/** One logical connection's place in the counts of its scope. */
export class ConnectionTally {
  private key: string | undefined;
  private counted: ConnectionCounts | undefined;

  /** @param scope the counts this connection belongs to, read when it is first counted. */
  constructor(private readonly scope: () => ConnectionCounts = () => processCounts) {}

  /** Count this connection on `host` (or nowhere); a no-op when it is already counted there. */
  moveTo(host: HostInfo | undefined): void {
    const next = host === undefined ? undefined : hostKey(host);
    if (next === this.key) return;
    const counts = (this.counted ??= this.scope());
    if (this.key !== undefined) counts.add(this.key, -1);
    if (next !== undefined) counts.add(next, 1);
    this.key = next;
  }

  /** The host this connection is counted on (`host:port`). */
  get countedOn(): string | undefined {
    return this.key;
  }
}
