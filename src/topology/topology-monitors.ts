/**
 * The topology monitors of this process, one per cluster identity (cluster-identity.ts),
 * reference-counted by the connections using them. A monitor is created by the first
 * connection of its cluster and closed MONITOR_LINGER_MS after the last one released it
 * (a pool that replaces its last client at once keeps the same monitor). An instance name
 * that a live monitor's topology lists joins that monitor. Nothing here outlives the
 * connections: the map holds live monitors only.
 */
import { hostKey, type HostInfo } from '../drivers/host-info.js';
import type { TopologyMonitor } from './topology-monitor.js';

/** How long a monitor nobody uses stays open. */
export const MONITOR_LINGER_MS = 1_000;

interface Entry {
  readonly monitor: TopologyMonitor;
  refs: number;
  linger: NodeJS.Timeout | undefined;
}

const monitors = new Map<string, Entry>();

/**
 * Take a reference on the monitor of `key`, created by `create` when none exists. When
 * `host` is an instance that a live monitor's topology lists, that monitor is shared.
 */
export function acquireMonitor(key: string, host: HostInfo, create: () => TopologyMonitor): TopologyMonitor {
  let entry = monitors.get(key);
  if (entry === undefined) {
    const hk = hostKey(host);
    for (const e of monitors.values()) {
      if (e.monitor.hosts().some((h) => hostKey(h) === hk)) {
        entry = e;
        break;
      }
    }
  }
  if (entry === undefined) {
    entry = { monitor: create(), refs: 0, linger: undefined };
    monitors.set(key, entry);
  }
  if (entry.linger !== undefined) {
    clearTimeout(entry.linger);
    entry.linger = undefined;
  }
  entry.refs++;
  return entry.monitor;
}

/** Give a reference back; the last one closes the monitor after the linger. */
export function releaseMonitor(monitor: TopologyMonitor): void {
  const entry = monitors.get(monitor.key);
  if (entry === undefined || entry.monitor !== monitor) return;
  entry.refs--;
  if (entry.refs > 0) return;
  entry.linger = setTimeout(() => {
    if (entry.refs > 0 || monitors.get(monitor.key) !== entry) return;
    monitors.delete(monitor.key);
    monitor.close();
  }, MONITOR_LINGER_MS);
  entry.linger.unref();
}

/** Keys of the monitors alive now (for tests and diagnostics). */
export function liveMonitorKeys(): string[] {
  return [...monitors.keys()];
}

/** The live monitor of `key`, if any (for tests and diagnostics). */
export function monitorOf(key: string): TopologyMonitor | undefined {
  return monitors.get(key)?.monitor;
}
