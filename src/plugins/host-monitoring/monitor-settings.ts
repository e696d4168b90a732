/**
 * The detection settings of one monitor (grace, interval, count) read from a connection's
 * resolved options, and the key under which a monitor is shared: one per engine, instance
 * address and settings, so connections with different settings never share a monitor.
 */
import type { ResolvedOptions } from '../../core/wrapper-options.js';
import type { Engine } from '../../drivers/driver.js';

export interface MonitorSettings {
  /** A call must have run this long before its host is probed (`failureDetectionTimeMs`). */
  readonly graceMs: number;
  /** Probes start at most this far apart and each is bounded by it (`failureDetectionIntervalMs`). */
  readonly intervalMs: number;
  /** Failed probes in a row that declare the host unavailable (`failureDetectionCount`). */
  readonly count: number;
}

/** Defaults of the options table, for options built by hand without them. */
const DEFAULTS: MonitorSettings = { graceMs: 30_000, intervalMs: 5_000, count: 3 };

export function monitorSettingsOf(options: ResolvedOptions): MonitorSettings {
  return {
    graceMs: options.failureDetectionTimeMs ?? DEFAULTS.graceMs,
    intervalMs: options.failureDetectionIntervalMs ?? DEFAULTS.intervalMs,
    count: options.failureDetectionCount ?? DEFAULTS.count,
  };
}

/** The longest time from a call's start to the abort of its connection on a silent host. */
export function detectionBoundMs(s: MonitorSettings): number {
  return s.graceMs + s.intervalMs * s.count;
}

export function monitorKey(engine: Engine, address: string, port: number, s: MonitorSettings): string {
  return `${engine}|${address}|${port}|${s.graceMs}/${s.intervalMs}/${s.count}`;
}
