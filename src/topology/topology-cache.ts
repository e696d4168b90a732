/**
 * Topology shared by all logical connections of one cluster (keyed by cluster id):
 * the last host list, when it was fetched, availability marks, the refresh in flight and
 * the connections to notify of changes. Entries are reference-counted and dropped when the
 * last connection releases theirs, so nothing here grows with connections or queries.
 * Every accepted topology and every change is published on `aurora-ha:topology` (nothing is
 * compared or built while nobody observes: observe/channels.ts).
 */
import type { HostAvailability, HostInfo } from '../drivers/host-info.js';
import { hostKey, withAvailability } from '../drivers/host-info.js';
import { RefCountedRegistry } from '../core/refcounted-registry.js';
import { publishTopology, topologyObserved } from '../observe/channels.js';
import { topologyChanges } from './topology-changes.js';

export type TopologyListener = (hosts: readonly HostInfo[]) => void;

/**
 * How long an "unavailable" mark lasts: a host that failed once is tried last, not forever
 * (it may have been rebooted and be back as a reader).
 */
export const UNAVAILABLE_MARK_TTL_MS = 30_000;

export class ClusterTopology {
  readonly clusterId: string;
  /** Hosts as last reported, availability marks applied. */
  hosts: readonly HostInfo[] = [];
  /** When `hosts` was last replaced by a topology query (0 = never). */
  fetchedAt = 0;
  /** When a topology query was last started (a failing one must not be retried on every call). */
  attemptedAt = 0;
  /** The topology query in flight, shared by concurrent refreshes. */
  inflight: Promise<readonly HostInfo[]> | undefined;
  /** Host key or instance id → when it was marked unavailable. */
  private readonly unavailable = new Map<string, number>();
  private readonly listeners = new Set<TopologyListener>();

  constructor(clusterId: string) {
    this.clusterId = clusterId;
  }

  /** Replace the host list (from a fresh query); listeners hear about it when it changed. */
  update(hosts: readonly HostInfo[], now = Date.now()): readonly HostInfo[] {
    const marked = hosts.map((h) => this.applyMarks(h));
    const before = this.hosts;
    const changed = !sameHosts(before, marked);
    this.hosts = marked;
    this.fetchedAt = now;
    if (topologyObserved()) {
      publishTopology(() => ({
        event: 'refreshed',
        clusterId: this.clusterId,
        hosts: marked.length,
        at: now,
      }));
      if (changed) this.announce(before, marked);
    }
    if (changed) this.notify();
    return marked;
  }

  /** Mark hosts (by `host:port` or instance id) available or unavailable for every connection. */
  setAvailability(keys: readonly string[], availability: HostAvailability, now = Date.now()): void {
    for (const k of keys) {
      if (availability === 'unavailable') this.unavailable.set(k, now);
      else this.unavailable.delete(k);
    }
    this.reapply();
  }

  /** Drop marks older than UNAVAILABLE_MARK_TTL_MS (cheap when there are none). */
  expireMarks(now = Date.now()): void {
    if (this.unavailable.size === 0) return;
    let expired = false;
    for (const [k, at] of this.unavailable) {
      if (now - at >= UNAVAILABLE_MARK_TTL_MS) {
        this.unavailable.delete(k);
        expired = true;
      }
    }
    if (expired) this.reapply();
  }

  private reapply(): void {
    const marked = this.hosts.map((h) => this.applyMarks(h));
    if (!sameHosts(this.hosts, marked)) {
      const before = this.hosts;
      this.hosts = marked;
      if (topologyObserved()) this.announce(before, marked);
      this.notify();
    }
  }

  /** Publish what changed (aurora-ha:topology); only called when someone observes. */
  private announce(before: readonly HostInfo[], after: readonly HostInfo[]): void {
    for (const m of topologyChanges(this.clusterId, before, after, Date.now())) publishTopology(() => m);
  }

  subscribe(listener: TopologyListener): void {
    this.listeners.add(listener);
  }

  unsubscribe(listener: TopologyListener): void {
    this.listeners.delete(listener);
  }

  private applyMarks(h: HostInfo): HostInfo {
    const down =
      this.unavailable.has(hostKey(h)) || (h.instanceId !== undefined && this.unavailable.has(h.instanceId));
    return withAvailability(h, down ? 'unavailable' : 'available');
  }

  private notify(): void {
    const hosts = this.hosts;
    for (const l of this.listeners) l(hosts);
  }
}

function sameHosts(a: readonly HostInfo[], b: readonly HostInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as HostInfo;
    const y = b[i] as HostInfo;
    if (
      x.host !== y.host ||
      x.port !== y.port ||
      x.role !== y.role ||
      x.availability !== y.availability ||
      x.instanceId !== y.instanceId
    ) {
      return false;
    }
  }
  return true;
}

/** Live cluster entries only: an entry leaves the registry when its last reference is released. */
const clusters = new RefCountedRegistry<ClusterTopology>();

/** Take a reference on the shared topology of `clusterId` (created on first use). */
export function acquireTopology(clusterId: string): ClusterTopology {
  return clusters.acquire(clusterId, () => new ClusterTopology(clusterId));
}

/** Give a reference back; the entry is dropped with the last one. */
export function releaseTopology(entry: ClusterTopology): void {
  clusters.release(entry.clusterId, entry);
}

/** The shared topologies alive now (getClusterStatus). */
export function liveTopologies(): ClusterTopology[] {
  return clusters.values();
}

/** Number of clusters with live connections (for leak tests). */
export function liveClusterCount(): number {
  return clusters.size;
}
