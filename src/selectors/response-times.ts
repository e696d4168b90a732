/**
 * Response-time measurement for the `fastestResponse` selector: one monitor per cluster in this
 * process, shared by every connection whose selector needs it and reference-counted: it runs
 * while at least one such connection is open and stops (timer cleared, measuring connections
 * aborted, topology reference given back) with the last. Every `responseMeasurementIntervalMs`
 * it opens a connection to each instance of the cluster's shared topology, runs `SELECT 1`,
 * closes it, and keeps the time taken (connect + query, ms); an instance that fails or does not
 * answer within the bound has no time (the selector then prefers measured ones).
 */

import { RefCountedRegistry } from '../core/refcounted-registry.js';
import type { DriverAdapter, PhysicalConnection } from '../drivers/driver.js';
import { hostKey, type HostInfo } from '../drivers/host-info.js';
import { acquireTopology, releaseTopology, type ClusterTopology } from '../topology/topology-cache.js';

/** How a monitor opens its measuring connections (taken from the first connection that needs it). */
export interface MeasurementTarget {
  readonly driver: DriverAdapter;
  readonly driverConfig: unknown;
}

/**
 * Bound on one measurement (connect + query); a slower instance counts as unmeasured. Rounds do
 * not overlap: a round still running when the next is due makes that one skip.
 */
export const MAX_MEASUREMENT_MS = 10_000;

class ResponseTimeMonitor {
  private readonly times = new Map<string, number>();
  private readonly stopCtl = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly topology: ClusterTopology;
  private measuring = false;

  constructor(
    readonly clusterId: string,
    intervalMs: number,
    private readonly target: MeasurementTarget,
  ) {
    this.topology = acquireTopology(clusterId);
    this.timer = setInterval(() => void this.round(), intervalMs);
    this.timer.unref();
    void this.round();
  }

  time(host: { host: string; port: number }): number | undefined {
    return this.times.get(hostKey(host));
  }

  /** Measured hosts (`host:port` → ms), a copy. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.times);
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopCtl.abort();
    releaseTopology(this.topology);
    this.times.clear();
  }

  /** One measurement of every instance of the topology (at most one round at a time). */
  private async round(): Promise<void> {
    if (this.measuring || this.stopCtl.signal.aborted) return;
    this.measuring = true;
    try {
      const hosts = this.topology.hosts;
      const present = new Set(hosts.map(hostKey));
      for (const key of this.times.keys()) if (!present.has(key)) this.times.delete(key);
      await Promise.all(hosts.map((h) => this.measure(h)));
    } finally {
      this.measuring = false;
    }
  }

  private async measure(host: HostInfo): Promise<void> {
    const signal = this.stopCtl.signal;
    const bound = MAX_MEASUREMENT_MS;
    const started = performance.now();
    let conn: PhysicalConnection | undefined;
    const onStop = (): void => conn?.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      conn = await this.target.driver.connect(host, this.target.driverConfig, {
        timeoutMs: bound,
        signal,
        purpose: 'probe',
      });
      const left = Math.max(1, bound - (performance.now() - started));
      await conn.queryRows('SELECT 1', left);
      if (!signal.aborted) this.times.set(hostKey(host), performance.now() - started);
    } catch {
      this.times.delete(hostKey(host));
    } finally {
      signal.removeEventListener('abort', onStop);
      if (conn !== undefined) {
        if (signal.aborted) conn.abort();
        else await conn.close();
      }
    }
  }
}

/** Live monitors only: a monitor leaves the registry (and stops) when its last reference is released. */
const monitors = new RefCountedRegistry<ResponseTimeMonitor>({ onEvict: (monitor) => monitor.stop() });

/** A reference to the response times of one cluster; `release()` gives it back (idempotent). */
export interface ResponseTimes {
  time(host: { host: string; port: number }): number | undefined;
  release(): void;
}

/** Take a reference on the response-time monitor of `clusterId` (started on first use). */
export function acquireResponseTimes(
  clusterId: string,
  intervalMs: number,
  target: MeasurementTarget,
): ResponseTimes {
  const held = monitors.acquire(clusterId, () => new ResponseTimeMonitor(clusterId, intervalMs, target));
  let released = false;
  return {
    time: (host) => held.time(host),
    release: () => {
      if (released) return;
      released = true;
      monitors.release(clusterId, held);
    },
  };
}

/** The latest measurements of `clusterId` (`host:port` → ms); empty when no monitor runs. */
export function measuredResponseTimes(clusterId: string): Record<string, number> {
  return monitors.get(clusterId)?.snapshot() ?? {};
}

/** Number of running monitors (for leak tests). */
export function liveResponseMonitors(): number {
  return monitors.size;
}
