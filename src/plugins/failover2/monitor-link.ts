/**
 * How a failover-v2 connection finds its cluster's topology monitor: the cluster identity
 * (cluster-identity.ts), and, for the first connection of a cluster, the monitor's settings
 * (driver, credentials, dialect, how a connection's view of the topology becomes hosts).
 * Aurora and Multi-AZ flavours read their topology query; a self-managed PostgreSQL replica
 * cluster has no topology query, so its hosts are the configured ones and only an instance
 * that says it is the writer names the writer.
 */
import type { PluginService } from '../../connection/plugin.js';
import type { Dialect } from '../../dialects/dialect.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { clusterIdentity } from '../../topology/cluster-identity.js';
import { hostKey, makeHost, withRole, type HostInfo } from '../../drivers/host-info.js';
import { parseHostPattern, effectiveHostPattern } from '../../topology/host-pattern.js';
import { TopologyMonitor } from '../../topology/topology-monitor.js';
import { acquireMonitor } from '../../topology/topology-monitors.js';
import { hostsFromTopology } from '../../topology/topology-host-list-provider.js';

/** Whether failover v2 can monitor this flavour (it needs a topology or a host list to probe). */
export function monitorable(dialect: Dialect | undefined): dialect is Dialect {
  return dialect !== undefined && (dialect.topologyAware || dialect.probesConfiguredHosts);
}

function patternText(service: PluginService): string | undefined {
  return effectiveHostPattern(service.config.options, service.initialHost.host);
}

/** The cluster identity of this connection (the monitor registry key). */
export function clusterKeyOf(service: PluginService): string {
  return clusterIdentity({
    clusterId: service.config.options.clusterId,
    host: service.initialHost.host,
    port: service.initialHost.port,
    pattern: patternText(service),
  });
}

type ReadTopology = (conn: PhysicalConnection) => Promise<readonly HostInfo[] | undefined>;

function topologyReader(service: PluginService, dialect: Dialect): ReadTopology {
  if (dialect.topologyAware) {
    const text = patternText(service);
    const pattern = text !== undefined ? parseHostPattern(text) : undefined;
    const port = service.initialHost.port;
    return async (conn) => hostsFromTopology(await dialect.queryTopology(conn), pattern, port);
  }
  const configured = configuredHosts(service);
  return async (conn) => {
    if (!(await dialect.isWriter(conn))) return undefined;
    const here = hostKey(conn.host);
    return configured.map((h) => withRole(h, hostKey(h) === here ? 'writer' : 'reader'));
  };
}

function configuredHosts(service: PluginService): HostInfo[] {
  const list = service.config.options.hosts ?? service.config.initialHosts;
  return list.map((h) => makeHost(h.host, h.port));
}

/** Take a reference on the monitor of this connection's cluster (created on first use). */
export function acquireClusterMonitor(service: PluginService, dialect: Dialect): TopologyMonitor {
  const key = clusterKeyOf(service);
  const o = service.config.options;
  return acquireMonitor(
    key,
    service.initialHost,
    () =>
      new TopologyMonitor({
        key,
        driver: service.driver,
        driverConfig: service.config.driverConfig,
        dialect,
        readTopology: topologyReader(service, dialect),
        initialHosts: dialect.topologyAware ? [service.initialHost] : configuredHosts(service),
        refreshMs: o.topologyRefreshMs,
        highRefreshMs: o.clusterTopologyHighRefreshRateMs,
        failoverTimeoutMs: o.failoverTimeoutMs,
        connectTimeoutMs: o.failoverReaderConnectTimeoutMs,
      }),
  );
}
