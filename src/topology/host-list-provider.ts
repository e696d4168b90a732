/**
 * The host-list-provider contract: where a logical connection learns the cluster's hosts
 * (static list, topology query with a per-cluster TTL cache, or a shared topology monitor).
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import type { HostInfo, HostRole } from '../drivers/host-info.js';

export interface HostListProvider {
  /** Identifies the cluster; connections with the same id share topology. */
  readonly clusterId: string;
  /**
   * Cached topology (refreshed when older than `topologyRefreshMs`); a refresh may join one
   * already in flight through another connection, else it queries through `conn` when given.
   */
  refresh(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]>;
  /** Query the topology now (through `conn` itself when given), bypassing the cache; the result replaces the cached one. */
  forceRefresh(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]>;
  /** The last known topology without I/O (may be empty before the first refresh). */
  cached(): readonly HostInfo[];
  /** Which host of the topology this connection is on (by instance id), if it can tell. */
  identifyConnection(conn: PhysicalConnection): Promise<HostInfo | undefined>;
  /** Role reported by the instance itself ("am I the writer?"). */
  hostRole(conn: PhysicalConnection): Promise<HostRole>;
  /**
   * True when the cached topology is older than `topologyRefreshMs` and no refresh is in
   * flight (no I/O; optional: providers that refresh on their own omit it).
   */
  isStale?(): boolean;
  /** Release shared resources held for this connection (reference counting). */
  release(): void;
}
