/**
 * Host list from the cluster's own topology query (dialect.queryTopology), cached per
 * cluster with TTL `topologyRefreshMs` and shared by every connection of the cluster.
 * Rows become hosts through the instance host pattern (explicit `clusterInstanceHostPattern`
 * or derived from the RDS host name); Multi-AZ rows carry their own endpoint and port.
 * Topology rules: no writer row → rejected (cache kept); several writer rows → the newest wins.
 */
import type { Dialect, TopologyRow } from '../dialects/dialect.js';
import { acceptTopology, topologyWeight } from '../dialects/topology-rows.js';
import type { PhysicalConnection } from '../drivers/driver.js';
import { ConfigurationError, UnavailableHostError } from '../core/errors.js';
import type { HostAvailability, HostInfo, HostRole } from '../drivers/host-info.js';
import { hostKey, makeHost } from '../drivers/host-info.js';
import type { HostListProvider } from './host-list-provider.js';
import type { HostPattern } from './host-pattern.js';
import { instanceHostFromPattern } from './host-pattern.js';
import { withTimeout } from '../core/time.js';
import type { ClusterTopology } from './topology-cache.js';
import { acquireTopology, releaseTopology } from './topology-cache.js';

export interface TopologyHostListOptions {
  clusterId: string;
  dialect: Dialect;
  /** How instance ids become host names; undefined only for flavours whose rows carry endpoints. */
  pattern: HostPattern | undefined;
  /** Port of instances when neither the pattern nor the row gives one. */
  defaultPort: number;
  refreshMs: number;
  /** The connection's current physical connection, used when a call gives none. */
  current: () => PhysicalConnection | undefined;
  onChange?: (hosts: readonly HostInfo[]) => void;
}

/**
 * Convert topology rows into hosts; undefined when the rows name no writer. The writer and
 * weight rules are the dialects' (`acceptTopology`, `topologyWeight`), not repeated here.
 */
export function hostsFromTopology(
  rows: readonly TopologyRow[],
  pattern: HostPattern | undefined,
  defaultPort: number,
): HostInfo[] | undefined {
  const accepted = acceptTopology(rows);
  if (accepted === undefined) return undefined;
  return accepted.map((r) => {
    let address: { host: string; port: number };
    if (r.endpoint !== undefined) address = { host: r.endpoint, port: r.port ?? defaultPort };
    else if (pattern !== undefined) address = instanceHostFromPattern(pattern, r.instanceId, defaultPort);
    else {
      throw new ConfigurationError(
        'clusterInstanceHostPattern',
        `Cannot build the host name of instance "${r.instanceId}": set clusterInstanceHostPattern (e.g. "?.my-domain.example:5432").`,
      );
    }
    return makeHost(address.host, address.port, {
      role: r.isWriter ? 'writer' : 'reader',
      weight: topologyWeight(r),
      instanceId: r.instanceId,
      ...(Number.isFinite(r.lagMs) ? { lagMs: r.lagMs } : {}),
      ...(r.lastUpdate !== undefined ? { lastUpdate: r.lastUpdate } : {}),
    });
  });
}

/** Half of a bound (a joined read may use it, the caller's own read the rest); none without one. */
function halfOf(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : Math.max(1, Math.floor(timeoutMs / 2));
}

export class TopologyHostListProvider implements HostListProvider {
  readonly clusterId: string;
  private readonly options: TopologyHostListOptions;
  private topology: ClusterTopology | undefined;

  constructor(options: TopologyHostListOptions) {
    this.options = options;
    this.clusterId = options.clusterId;
    this.topology = acquireTopology(options.clusterId);
    if (options.onChange) this.topology.subscribe(options.onChange);
  }

  cached(): readonly HostInfo[] {
    const t = this.topology;
    if (t === undefined) return [];
    t.expireMarks();
    return t.hosts;
  }

  isStale(): boolean {
    const t = this.topology;
    if (t === undefined || t.inflight !== undefined) return false;
    return Date.now() - Math.max(t.fetchedAt, t.attemptedAt) >= this.options.refreshMs;
  }

  /**
   * The cached topology when fresher than `refreshMs`; else a topology read, joined when one is
   * already in flight (whatever connection it goes through: the caller accepts a cached copy,
   * so any connection of the cluster will do). Only when the joined read fails (or outlasts half
   * of `timeoutMs`) is one read sent through `conn`; never more. A read started here is shared
   * with the callers arriving while it runs, so a burst of connects makes one read.
   *
   * `timeoutMs` bounds only the wait for a joined read: a read through `conn` is bounded by the
   * caller, which aborts `conn` when it gives up (a bound of our own, reached first, would keep
   * a silent connection from being aborted, and connect() would hand it out).
   */
  async refresh(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]> {
    const t = this.topology;
    if (t === undefined) return [];
    if (t.hosts.length > 0 && Date.now() - t.fetchedAt < this.options.refreshMs) return t.hosts;
    if (conn === undefined || conn.closed) return this.forceRefresh(conn, timeoutMs);
    const joined = t.inflight;
    if (joined === undefined) return this.readShared(t, conn, undefined);
    try {
      return await withTimeout(joined, halfOf(timeoutMs), 'joined topology query');
    } catch {
      return this.forceRefresh(conn);
    }
  }

  /**
   * Query the topology now. With `conn`, through that very connection, never joining another
   * read (its callers need that connection's answer); without, through the current connection,
   * joining a read in flight.
   */
  async forceRefresh(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]> {
    const t = this.topology;
    if (t === undefined) return [];
    const via = conn ?? this.options.current();
    if (via === undefined || via.closed) {
      if (t.inflight) return t.inflight;
      throw new UnavailableHostError(
        this.clusterId,
        `No open connection to query the topology of cluster ${this.clusterId}.`,
      );
    }
    if (conn !== undefined) return this.read(t, conn, timeoutMs);
    return t.inflight ?? this.readShared(t, via, timeoutMs);
  }

  /** A read through `via` that later refreshes join while it runs. */
  private readShared(
    t: ClusterTopology,
    via: PhysicalConnection,
    timeoutMs: number | undefined,
  ): Promise<readonly HostInfo[]> {
    const p = this.read(t, via, timeoutMs);
    t.inflight = p;
    void p.then(
      () => this.clearInflight(t, p),
      () => this.clearInflight(t, p),
    );
    return p;
  }

  /** One topology query through `via`, bounded by `timeoutMs`; its hosts replace the cached ones. */
  private async read(
    t: ClusterTopology,
    via: PhysicalConnection,
    timeoutMs: number | undefined,
  ): Promise<readonly HostInfo[]> {
    t.attemptedAt = Date.now();
    const rows = await withTimeout(this.options.dialect.queryTopology(via), timeoutMs, 'topology query');
    const hosts = hostsFromTopology(rows, this.options.pattern, this.options.defaultPort);
    return hosts === undefined ? t.hosts : t.update(hosts);
  }

  private clearInflight(t: ClusterTopology, p: Promise<readonly HostInfo[]>): void {
    if (t.inflight === p) t.inflight = undefined;
  }

  async identifyConnection(conn: PhysicalConnection): Promise<HostInfo | undefined> {
    const id = await this.options.dialect.instanceId(conn);
    if (id === undefined) {
      const key = hostKey(conn.host);
      return this.cached().find((h) => hostKey(h) === key);
    }
    const find = (hosts: readonly HostInfo[]): HostInfo | undefined => hosts.find((h) => h.instanceId === id);
    return find(this.cached()) ?? find(await this.forceRefresh(conn));
  }

  async hostRole(conn: PhysicalConnection): Promise<HostRole> {
    return (await this.options.dialect.isWriter(conn)) ? 'writer' : 'reader';
  }

  setAvailability(keys: readonly string[], availability: HostAvailability): void {
    this.topology?.setAvailability(keys, availability);
  }

  release(): void {
    const t = this.topology;
    if (t === undefined) return;
    this.topology = undefined;
    if (this.options.onChange) t.unsubscribe(this.options.onChange);
    releaseTopology(t);
  }
}
