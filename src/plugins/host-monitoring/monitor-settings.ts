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

/** The sampling period's upper bound: a command is noticed at most this late (host-monitor.ts). */
const MAX_SAMPLE_MS = 1000;
/** ... and its lower bound (a grace under 100 ms, e.g. 0, must not make the sampler spin). */
const MIN_SAMPLE_MS = 10;

/**
 * How often a monitor samples its connections: the grace split into at least 10 periods, none
 * longer than 1 s (30 periods of 1 s at the default 30 s) nor shorter than 10 ms. A command is overdue once it has been
 * seen for the grace, i.e. at most one period after the grace from its start.
 */
export function sampleMsOf(s: MonitorSettings): number {
  return Math.max(MIN_SAMPLE_MS, s.graceMs / Math.max(10, Math.ceil(s.graceMs / MAX_SAMPLE_MS)));
}

/**
 * The longest time from a call's start to the abort of its connection on a silent host: the
 * grace, one sampling period, then `count` probes each bounded by the interval.
 */
export function detectionBoundMs(s: MonitorSettings): number {
  return s.graceMs + sampleMsOf(s) + s.intervalMs * s.count;
}

export function monitorKey(engine: Engine, address: string, port: number, s: MonitorSettings): string {
  return `${engine}|${address}|${port}|${s.graceMs}/${s.intervalMs}/${s.count}`;
}
