/**
 * The monitor of one host (one per host per process, shared by every connection on it): the
 * connections on the host, a sampling timer that notices a driver command running longer than
 * the grace, and — only while one is — a probe loop on the monitor's own connection. After
 * `count` failed probes in a row the host is declared unavailable and every connection on it
 * with a command in flight is aborted, so that the failover plugin (outside this one in the
 * pipeline) sees a network error and takes over.
 *
 * Nothing per call: a query costs the monitor no record, no timestamp and no promise. Every
 * `sampleMs` (grace / n, at most 1 s) the monitor reads each connection's command in flight
 * (`PhysicalConnection.activeCall()`, the driver's own object for it) and remembers when it
 * first saw that command. A command seen for at least the grace is overdue: probing starts at
 * most one sample period after the grace. A stream of short calls is a new command at each
 * sample, so it never looks overdue. Costs while nothing is overdue: one small record per
 * connection on the host and one unref'd timer per monitor.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import { sampleMsOf, type MonitorSettings } from './monitor-settings.js';
import { publishMonitor } from '../../observe/channels.js';
import { hostKey } from '../../drivers/host-info.js';
import { classifyHost } from '../../topology/rds-url.js';

/** Probes start up to this fraction of the interval early (jitter that never widens the bound). */
const PROBE_JITTER = 0.1;

/** Asks the host whether it answers (HostProbe in production). */
export interface Prober {
  /** True when the host answered within `boundMs`; never rejects. */
  probe(boundMs: number): Promise<boolean>;
  /** Close the probe connection; a later probe() opens a new one. */
  close(): Promise<void>;
  readonly connected: boolean;
  /** Probes refused for the server's certificate (counted as answering); HostProbe keeps it. */
  readonly certificateErrors?: number;
  /** The address probed (HostProbe's host): named by the `host-monitoring-abort` message; else the monitor's key. */
  readonly host?: { readonly host: string; readonly port: number };
}

/** Told when the host was declared unavailable, for each aborted connection. */
export interface CallOwner {
  hostDeclaredUnavailable(conn: PhysicalConnection): void;
}

/** One connection on the host and what the sampler last saw on it. */
interface Watched {
  readonly conn: PhysicalConnection;
  readonly owner: CallOwner;
  /** The command in flight at the last sample (the driver's object), undefined when idle. */
  seen: object | undefined;
  /** When `seen` was first seen (performance.now()): a lower bound of its start. */
  since: number;
}

/** What a monitor has done, for tests, the soak and the docs' figures. */
export interface MonitorStats {
  readonly key: string;
  readonly users: number;
  /** Connections on the host with a command in flight now. */
  readonly callsInFlight: number;
  /** Connections on the host that the monitor samples. */
  readonly connections: number;
  readonly probing: boolean;
  readonly probeConnected: boolean;
  readonly probesSent: number;
  readonly probesFailed: number;
  /** Probes whose connect was refused for the server's certificate (counted as answers). */
  readonly probeCertificateErrors: number;
  readonly detections: number;
  /** Time from the oldest overdue command's first sighting to the abort, of the latest detection (ms). */
  readonly lastDetectionMs: number | undefined;
  readonly unavailable: boolean;
}

function commandOf(conn: PhysicalConnection): object | undefined {
  return conn.closed ? undefined : conn.activeCall?.();
}

export class HostMonitor {
  private readonly watched = new Map<PhysicalConnection, Watched>();
  readonly sampleMs: number;
  private sampleTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** When the oldest command seen but not yet overdue becomes overdue (performance.now()). */
  private nextDue = Infinity;
  private probing = false;
  private stopped = false;
  private probesSent = 0;
  private probesFailed = 0;
  private detections = 0;
  private lastDetectionMs: number | undefined;
  private unavailable = false;

  constructor(
    readonly key: string,
    readonly settings: MonitorSettings,
    private readonly probe: Prober,
  ) {
    this.sampleMs = sampleMsOf(settings);
  }

  /** Sample `conn` (a connection to this host) until `unwatch`. Not per call: once per connection. */
  watch(conn: PhysicalConnection, owner: CallOwner): void {
    if (this.stopped) return;
    this.watched.set(conn, { conn, owner, seen: undefined, since: 0 });
    this.scheduleSample();
  }

  /** The connection left the host (moved, closed, released). */
  unwatch(conn: PhysicalConnection): void {
    this.watched.delete(conn);
    if (this.watched.size === 0 && this.sampleTimer !== undefined) {
      clearTimeout(this.sampleTimer);
      this.sampleTimer = undefined;
    }
  }

  /** What this monitor has done; `users` is the registry's count (monitor-registry.ts). */
  stats(): Omit<MonitorStats, 'users'> {
    let busy = 0;
    for (const w of this.watched.values()) if (commandOf(w.conn) !== undefined) busy++;
    return {
      key: this.key,
      callsInFlight: busy,
      connections: this.watched.size,
      probing: this.probing,
      probeConnected: this.probe.connected,
      probesSent: this.probesSent,
      probesFailed: this.probesFailed,
      probeCertificateErrors: this.probe.certificateErrors ?? 0,
      detections: this.detections,
      lastDetectionMs: this.lastDetectionMs,
      unavailable: this.unavailable,
    };
  }

  /** Stop for good: timers cleared, a probe under way cancelled, the probe connection closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sampleTimer !== undefined) clearTimeout(this.sampleTimer);
    this.sampleTimer = undefined;
    this.wakeUp();
    this.watched.clear();
    await this.probe.close();
  }

  private scheduleSample(delayMs = this.sampleMs): void {
    if (this.sampleTimer !== undefined || this.probing || this.stopped || this.watched.size === 0) return;
    this.sampleTimer = setTimeout(() => this.onSample(), Math.max(0, delayMs));
    this.sampleTimer.unref();
  }

  /**
   * The sampling timer fired: probe when a command is overdue, else sample again in one period
   * or when the oldest command seen becomes overdue, whichever is first (so that timer lag on a
   * busy event loop does not add up over the grace's periods).
   */
  private onSample(): void {
    this.sampleTimer = undefined;
    if (this.stopped || this.probing) return;
    if (this.oldestOverdue() !== undefined) {
      this.probing = true;
      void this.probeLoop();
      return;
    }
    this.scheduleSample(Math.min(this.sampleMs, this.nextDue - performance.now()));
  }

  /**
   * Sample every connection: a command not seen before starts its clock now. Returns the
   * earliest first sighting among commands seen for at least the grace, if any.
   */
  private oldestOverdue(): number | undefined {
    const now = performance.now();
    const grace = this.settings.graceMs;
    let oldest: number | undefined;
    let nextDue = Infinity;
    for (const w of this.watched.values()) {
      const command = commandOf(w.conn);
      if (command !== w.seen) {
        w.seen = command;
        w.since = now;
      }
      if (command === undefined) continue;
      if (now - w.since >= grace) {
        if (oldest === undefined || w.since < oldest) oldest = w.since;
      } else if (w.since + grace < nextDue) {
        nextDue = w.since + grace;
      }
    }
    this.nextDue = nextDue;
    return oldest;
  }

  /** Probe while a command is overdue; never rejects. */
  private async probeLoop(): Promise<void> {
    const { intervalMs, count } = this.settings;
    let failures = 0;
    try {
      while (!this.stopped && this.oldestOverdue() !== undefined) {
        const started = performance.now();
        this.probesSent++;
        const alive = await this.probe.probe(intervalMs);
        if (this.stopped) break;
        if (alive) {
          failures = 0;
          this.unavailable = false;
        } else {
          this.probesFailed++;
          failures++;
          if (failures >= count) {
            failures = 0;
            this.declareUnavailable();
            continue;
          }
        }
        const wait = started + intervalMs * (1 - PROBE_JITTER * Math.random()) - performance.now();
        if (wait > 0 && this.oldestOverdue() !== undefined) await this.sleep(wait);
      }
    } finally {
      this.probing = false;
      if (!this.stopped) {
        // Nothing overdue any more: no probe connection kept while idle.
        await this.probe.close();
        this.scheduleSample();
      }
    }
  }

  /** Abort every connection on the host with a command in flight. */
  private declareUnavailable(): void {
    const oldest = this.oldestOverdue();
    this.detections++;
    this.unavailable = true;
    this.lastDetectionMs = oldest === undefined ? undefined : performance.now() - oldest;
    const aborted: Watched[] = [];
    for (const w of this.watched.values()) {
      if (commandOf(w.conn) !== undefined) aborted.push(w);
    }
    publishMonitor(() => ({
      event: 'host-monitoring-abort',
      host: this.nameOf(aborted),
      callsAborted: aborted.length,
      detectionMs: this.lastDetectionMs,
      at: Date.now(),
    }));
    for (const w of aborted) {
      w.seen = undefined;
      w.conn.abort();
      try {
        w.owner.hostDeclaredUnavailable(w.conn);
      } catch {
        // one owner's failure must not keep the others' calls hanging
      }
    }
  }

  /**
   * How the abort names the host: the monitor watches an address (a cluster endpoint's DNS may
   * have moved), so the name is the instance name a connection on it was opened with (an aborted
   * one first), else another name that is no cluster endpoint (a self-managed host), else the
   * address the probe watches (HostProbe.host), else the registry's key.
   */
  private nameOf(aborted: readonly Watched[]): string {
    const conns = [...aborted, ...this.watched.values()].map((w) => w.conn.host);
    const named =
      conns.find((h) => classifyHost(h.host) === 'instance') ??
      conns.find((h) => classifyHost(h.host) === 'other');
    if (named !== undefined) return hostKey(named);
    const probed = this.probe.host;
    return probed === undefined ? this.key : `${probed.host}:${probed.port}`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(() => this.wakeUp(), ms);
      this.sleepTimer.unref();
    });
  }

  private wakeUp(): void {
    if (this.sleepTimer !== undefined) clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
