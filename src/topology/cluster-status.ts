/**
 * `getClusterStatus(target)` (exported from `aurora-ha`): this process's current view of one
 * cluster, for health endpoints and dashboards — the writer and readers with their
 * availability and reported lag, when the topology was last read, failover2's monitor mode, and
 * how many aurora-ha connections are open on each instance. No I/O: it reads the shared
 * topology cache, the monitor registry and the per-instance counts, so it answers only for a
 * cluster this process has live connections to (`known: false` otherwise).
 *
 * `target` is what the application configured: a host (`name`, `name:port`, `[v6]:port`), a
 * connection string, or an object with `host` / `port` / `clusterId` /
 * `clusterInstanceHostPattern` / `hosts` (a pg or mysql2 config with aurora-ha options works as
 * it is). The cluster is found as connections find it: by `clusterId`, else by the instance host
 * pattern (given or derived from an RDS name) and port, else by a host the topology lists.
 */
import { hostKey, type HostInfo } from '../drivers/host-info.js';
import { openConnectionCounts } from '../observe/open-connections.js';
import { clusterIdentity } from './cluster-identity.js';
import { effectiveHostPattern, formatHostPattern, parseHostPattern } from './host-pattern.js';
import { liveTopologies, type ClusterTopology } from './topology-cache.js';
import { liveMonitors } from './topology-monitors.js';
import type { TopologyMonitor } from './topology-monitor.js';

export interface ClusterStatusTarget {
  readonly host?: string;
  readonly port?: number | string;
  readonly clusterId?: string;
  readonly clusterInstanceHostPattern?: string;
  readonly hosts?: readonly string[];
  /** pg's `connectionString` / mysql2's `uri`: read for host and port. */
  readonly connectionString?: string;
  readonly uri?: string;
}

export interface InstanceStatus {
  /** `host:port`. */
  readonly host: string;
  readonly instanceId: string | undefined;
  readonly role: 'writer' | 'reader' | 'unknown';
  readonly availability: 'available' | 'unavailable';
  /** Replica lag the last topology reported, ms (undefined when the flavour does not report it). */
  readonly lagMs: number | undefined;
  /** aurora-ha logical connections of this process open on it now. */
  readonly openConnections: number;
}

export interface ClusterStatus {
  /** Whether this process has a live view of the cluster (a live connection to it). */
  readonly known: boolean;
  /** The topology-cache id (the `clusterId` of the channels' messages). */
  readonly clusterId: string | undefined;
  readonly writer: InstanceStatus | undefined;
  readonly readers: readonly InstanceStatus[];
  /** Instances neither writer nor reader (a static host list before roles are known). */
  readonly others: readonly InstanceStatus[];
  /** When the topology was last read (ms since epoch); undefined when never. */
  readonly lastRefreshAt: number | undefined;
  /** failover2's topology monitor of the cluster, when one runs. */
  readonly monitor:
    | {
        readonly key: string;
        readonly mode: 'normal' | 'panic';
        /** Whether the monitor holds its own connection now. */
        readonly connected: boolean;
        readonly writer: string | undefined;
      }
    | undefined;
  /** Connections counted on the target's own host when it is not an instance (an endpoint used without identification). */
  readonly openConnectionsOnTarget: number;
  /** All aurora-ha connections of this process counted on the cluster's instances and the target host. */
  readonly openConnections: number;
}

const DEFAULT_PORTS = [5432, 3306];

interface Parsed {
  host: string | undefined;
  port: number | undefined;
  clusterId: string | undefined;
  pattern: string | undefined;
  hosts: readonly string[];
}

function splitHostPort(text: string): { host: string; port: number | undefined } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6 !== null) return { host: v6[1] as string, port: v6[2] === undefined ? undefined : Number(v6[2]) };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m !== null) return { host: m[1] as string, port: Number(m[2]) };
  return { host: text, port: undefined };
}

function fromUrl(text: string): { host: string | undefined; port: number | undefined } {
  try {
    const url = new URL(text);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return { host: host === '' ? undefined : host, port: url.port === '' ? undefined : Number(url.port) };
  } catch {
    // Never echo the text: it may hold a password.
    return { host: undefined, port: undefined };
  }
}

function parseTarget(target: string | ClusterStatusTarget): Parsed {
  if (typeof target === 'string') {
    const hp = target.includes('://') ? fromUrl(target) : splitHostPort(target.trim());
    return { ...hp, clusterId: undefined, pattern: undefined, hosts: [] };
  }
  const url = target.connectionString ?? target.uri;
  const fromText = url !== undefined ? fromUrl(url) : { host: undefined, port: undefined };
  const port = target.port === undefined ? fromText.port : Number(target.port);
  return {
    host: target.host ?? fromText.host,
    port: Number.isFinite(port) ? port : undefined,
    clusterId: target.clusterId,
    pattern: target.clusterInstanceHostPattern,
    hosts: target.hosts ?? [],
  };
}

function lists(t: ClusterTopology, host: string, port: number | undefined): boolean {
  return t.hosts.some((h) => h.host === host && (port === undefined || h.port === port));
}

function findTopology(p: Parsed): ClusterTopology | undefined {
  const all = liveTopologies();
  if (p.clusterId !== undefined) return all.find((t) => t.clusterId === p.clusterId);
  const ports = p.port !== undefined ? [p.port] : DEFAULT_PORTS;
  const ids = new Set<string>();
  if (p.host !== undefined) {
    const text = effectiveHostPattern({ clusterInstanceHostPattern: p.pattern }, p.host);
    for (const port of ports) {
      if (text !== undefined) ids.add(`${formatHostPattern(parseHostPattern(text))}#${port}`);
      ids.add(`${p.host}:${port}#${port}`);
      ids.add(`${p.host}:${port}`);
    }
  }
  if (p.hosts.length > 0)
    ids.add(
      p.hosts
        .map((h) => splitHostPort(h))
        .map((h) => `${h.host}:${h.port ?? ports[0]}`)
        .join(','),
    );
  const byId = all.find((t) => ids.has(t.clusterId));
  if (byId !== undefined) return byId;
  const host = p.host;
  return host === undefined ? undefined : all.find((t) => lists(t, host, p.port));
}

function findMonitor(p: Parsed, topology: ClusterTopology | undefined): TopologyMonitor | undefined {
  const all = liveMonitors();
  const keys = new Set<string>();
  if (p.host !== undefined) {
    const pattern = effectiveHostPattern({ clusterInstanceHostPattern: p.pattern }, p.host);
    for (const port of p.port !== undefined ? [p.port] : DEFAULT_PORTS) {
      keys.add(clusterIdentity({ clusterId: p.clusterId, host: p.host, port, pattern }));
    }
  } else if (p.clusterId !== undefined) keys.add(`cluster:${p.clusterId}`);
  const byKey = all.find((m) => keys.has(m.key));
  if (byKey !== undefined || topology === undefined) return byKey;
  const listed = new Set(topology.hosts.map(hostKey));
  return all.find((m) => m.hosts().some((h) => listed.has(hostKey(h))));
}

function instance(h: HostInfo, counts: ReadonlyMap<string, number>): InstanceStatus {
  return {
    host: hostKey(h),
    instanceId: h.instanceId,
    role: h.role,
    availability: h.availability,
    lagMs: h.lagMs,
    openConnections: counts.get(hostKey(h)) ?? 0,
  };
}

export function getClusterStatus(target: string | ClusterStatusTarget): ClusterStatus {
  const p = parseTarget(target);
  const topology = findTopology(p);
  const monitor = findMonitor(p, topology);
  const counts = openConnectionCounts();
  const hosts = topology?.hosts.length ? topology.hosts : (monitor?.hosts() ?? []);
  const all = hosts.map((h) => instance(h, counts));
  const listed = new Set(all.map((i) => i.host));
  let onTarget = 0;
  if (p.host !== undefined) {
    for (const port of p.port !== undefined ? [p.port] : DEFAULT_PORTS) {
      const key = `${p.host}:${port}`;
      if (!listed.has(key)) onTarget += counts.get(key) ?? 0;
    }
  }
  const fetchedAt = topology?.fetchedAt ?? 0;
  return {
    known: topology !== undefined || monitor !== undefined,
    clusterId: topology?.clusterId,
    writer: all.find((i) => i.role === 'writer'),
    readers: all.filter((i) => i.role === 'reader'),
    others: all.filter((i) => i.role === 'unknown'),
    lastRefreshAt: fetchedAt > 0 ? fetchedAt : undefined,
    monitor:
      monitor === undefined
        ? undefined
        : {
            key: monitor.key,
            mode: monitor.mode,
            connected: monitor.connected,
            writer: monitor.writer() === undefined ? undefined : hostKey(monitor.writer() as HostInfo),
          },
    openConnectionsOnTarget: onTarget,
    openConnections: all.reduce((n, i) => n + i.openConnections, 0) + onTarget,
  };
}
