/**
 * The process-wide monitors, one per host (and settings), reference-counted by the logical
 * connections that use them: created by the first connection that runs a call on the host,
 * stopped and forgotten when the last one lets go. The map only ever holds hosts that
 * connections are on right now.
 */
import type { DriverAdapter } from '../../drivers/driver.js';
import { makeHost } from '../../drivers/host-info.js';
import { HostMonitor, type MonitorStats } from './host-monitor.js';
import { RefCountedRegistry } from '../../core/refcounted-registry.js';
import { HostProbe } from './host-probe.js';
import { monitorKey, type MonitorSettings } from './monitor-settings.js';

const monitors = new RefCountedRegistry<HostMonitor>();

/** Process-wide totals of the monitors already stopped (four numbers, not a list). */
const stoppedTotals = { monitors: 0, probesSent: 0, probesFailed: 0, detections: 0 };

export interface MonitorTotals {
  /** Monitors started since the process began (stopped and running). */
  readonly monitors: number;
  readonly probesSent: number;
  readonly probesFailed: number;
  /** Times a host was declared unavailable and its calls' connections aborted. */
  readonly detections: number;
}

export interface MonitorTarget {
  readonly driver: DriverAdapter;
  /** The driver config probes connect with (the first user's credentials and options). */
  readonly driverConfig: unknown;
  readonly address: string;
  readonly port: number;
  /**
   * The host name of the monitored connection: the probe checks the server's certificate
   * against it when connecting to `address` (the first user's name when several share a monitor).
   */
  readonly serverName?: string;
  readonly settings: MonitorSettings;
}

/** The monitor of `target`'s host, created when none runs; the caller must `releaseMonitor` it. */
export function acquireMonitor(target: MonitorTarget): HostMonitor {
  const key = monitorKey(target.driver.engine, target.address, target.port, target.settings);
  return monitors.acquire(key, () => {
    const probe = new HostProbe(
      target.driver,
      target.driverConfig,
      makeHost(target.address, target.port),
      target.serverName,
    );
    return new HostMonitor(key, target.settings, probe);
  });
}

/** One user fewer; the last one stops the monitor (its probe connection closed in the background). */
export function releaseMonitor(monitor: HostMonitor): Promise<void> {
  if (!monitors.release(monitor.key, monitor)) return Promise.resolve();
  const done = monitor.stats();
  stoppedTotals.monitors++;
  stoppedTotals.probesSent += done.probesSent;
  stoppedTotals.probesFailed += done.probesFailed;
  stoppedTotals.detections += done.detections;
  return monitor.stop();
}

/** What every running monitor has done (tests, the soak report). */
export function hostMonitorStats(): MonitorStats[] {
  return monitors.values().map((m) => ({ ...m.stats(), users: monitors.refsOf(m.key) }));
}

/** Totals over every monitor of the process, stopped or running (the soak report). */
export function hostMonitorTotals(): MonitorTotals {
  const t = { ...stoppedTotals };
  for (const m of monitors.values()) {
    const s = m.stats();
    t.monitors++;
    t.probesSent += s.probesSent;
    t.probesFailed += s.probesFailed;
    t.detections += s.detections;
  }
  return t;
}
