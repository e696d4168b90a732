/**
 * Host list of a cluster that cannot report its own topology: the configured hosts
 * (`hosts` option, else the connection's host). For a self-managed primary/standby cluster
 * (postgres-replica-cluster) each refresh probes every host's role ("am I in recovery?")
 * once the TTL has passed. Availability marks are shared per cluster (topology-cache).
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import type { HostAvailability, HostInfo, HostRole } from '../drivers/host-info.js';
import { hostKey, makeHost, withRole } from '../drivers/host-info.js';
import { withTimeout } from '../core/time.js';
import type { HostListProvider } from './host-list-provider.js';
import type { ClusterTopology } from './topology-cache.js';
import { acquireTopology, releaseTopology } from './topology-cache.js';

export interface StaticHostListOptions {
  clusterId: string;
  hosts: readonly { host: string; port: number }[];
  /** Age after which a refresh probes roles again (ms). */
  refreshMs: number;
  /** The connection's current physical connection, used when a call gives none. */
  current: () => PhysicalConnection | undefined;
  /** Role of the instance behind `conn`; without it roles stay `unknown`. */
  roleOf?: (conn: PhysicalConnection) => Promise<HostRole>;
  /** Probe the role of `host` (opening a short connection when needed); only for replica clusters. */
  probeRole?: (host: HostInfo) => Promise<HostRole>;
  /** Called with the new list whenever the shared host list changes. */
  onChange?: (hosts: readonly HostInfo[]) => void;
}

export class StaticHostListProvider implements HostListProvider {
  readonly clusterId: string;
  private readonly options: StaticHostListOptions;
  private readonly configured: readonly HostInfo[];
  private topology: ClusterTopology | undefined;

  constructor(options: StaticHostListOptions) {
    this.options = options;
    this.clusterId = options.clusterId;
    this.configured = options.hosts.map((h) => makeHost(h.host, h.port));
    this.topology = acquireTopology(this.clusterId);
    if (options.onChange) this.topology.subscribe(options.onChange);
    if (this.topology.fetchedAt === 0 && this.topology.hosts.length === 0) {
      this.topology.update(this.configured, 0);
    }
  }

  cached(): readonly HostInfo[] {
    const t = this.topology;
    if (t === undefined) return this.configured;
    t.expireMarks();
    return t.hosts;
  }

  async refresh(conn?: PhysicalConnection): Promise<readonly HostInfo[]> {
    const t = this.topology;
    if (t === undefined) return this.configured;
    if (this.options.probeRole === undefined) return t.hosts;
    if (t.fetchedAt !== 0 && Date.now() - t.fetchedAt < this.options.refreshMs) return t.hosts;
    return this.forceRefresh(conn);
  }

  async forceRefresh(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]> {
    const t = this.topology;
    const probe = this.options.probeRole;
    if (t === undefined || probe === undefined) return this.cached();
    if (t.inflight) return t.inflight;
    const via = conn ?? this.options.current();
    const run = async (): Promise<readonly HostInfo[]> => {
      const roles = await Promise.all(
        this.configured.map(async (h): Promise<HostRole> => {
          try {
            if (via && !via.closed && hostKey(via.host) === hostKey(h) && this.options.roleOf) {
              return await withTimeout(this.options.roleOf(via), timeoutMs, 'role query');
            }
            return await withTimeout(probe(h), timeoutMs, 'role probe');
          } catch {
            return 'unknown';
          }
        }),
      );
      return t.update(this.configured.map((h, i) => withRole(h, roles[i] ?? 'unknown')));
    };
    t.inflight = run().finally(() => {
      t.inflight = undefined;
    });
    return t.inflight;
  }

  async identifyConnection(conn: PhysicalConnection): Promise<HostInfo | undefined> {
    const key = hostKey(conn.host);
    return this.cached().find((h) => hostKey(h) === key);
  }

  async hostRole(conn: PhysicalConnection): Promise<HostRole> {
    return this.options.roleOf ? this.options.roleOf(conn) : 'unknown';
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
