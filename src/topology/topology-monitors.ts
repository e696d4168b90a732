/**
 * The topology monitors of this process, one per cluster identity (cluster-identity.ts),
 * reference-counted by the connections using them. A monitor is created by the first
 * connection of its cluster and closed MONITOR_LINGER_MS after the last one released it
 * (a pool that replaces its last client at once keeps the same monitor). An instance name
 * that a live monitor's topology lists joins that monitor. Nothing here outlives the
 * connections: the map holds live monitors only.
 */
import { hostKey, type HostInfo } from '../drivers/host-info.js';
import { RefCountedRegistry } from '../core/refcounted-registry.js';
import type { TopologyMonitor } from './topology-monitor.js';

/** How long a monitor nobody uses stays open. */
export const MONITOR_LINGER_MS = 1_000;

const monitors = new RefCountedRegistry<TopologyMonitor>({
  lingerMs: MONITOR_LINGER_MS,
  onEvict: (monitor) => monitor.close(),
});

/**
 * Take a reference on the monitor of `key`, created by `create` when none exists. When
 * `host` is an instance that a live monitor's topology lists, that monitor is shared.
 */
export function acquireMonitor(key: string, host: HostInfo, create: () => TopologyMonitor): TopologyMonitor {
  if (monitors.get(key) === undefined) {
    const hk = hostKey(host);
    const shared = monitors.acquireWhere((m) => m.hosts().some((h) => hostKey(h) === hk));
    if (shared !== undefined) return shared;
  }
  return monitors.acquire(key, create);
}

/** Give a reference back; the last one closes the monitor after the linger. */
export function releaseMonitor(monitor: TopologyMonitor): void {
  monitors.release(monitor.key, monitor);
}

/** Keys of the monitors alive now (for tests and diagnostics). */
export function liveMonitorKeys(): string[] {
  return monitors.keys();
}

/** Every live monitor (getClusterStatus). */
export function liveMonitors(): TopologyMonitor[] {
  return monitors.values();
}

/** The live monitor of `key`, if any (for tests and diagnostics). */
export function monitorOf(key: string): TopologyMonitor | undefined {
  return monitors.get(key);
}
