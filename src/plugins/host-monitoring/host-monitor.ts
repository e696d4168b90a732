/**
 * The monitor of one host (one per host per process, shared by every connection on it):
 * the calls in flight on the host, one grace timer armed for the oldest of them, and — only
 * while some call has run longer than the grace — a probe loop on the monitor's own
 * connection. After `count` failed probes in a row the host is declared unavailable and the
 * physical connection of every call in flight on it is aborted, so that the failover plugin
 * (outside this one in the pipeline) sees a network error and takes over.
 *
 * Costs while nothing is overdue: one small record per call in flight and at most one timer.
 * No probe and no connection while no call is in flight. The grace timer is not re-armed per
 * call: armed when a call finds none, it stays armed when calls end (unref'd) and, when it
 * fires, re-arms for the oldest call still in flight or lapses when there is none. A stream of
 * short calls thus costs one timer per grace period instead of a setTimeout / clearTimeout pair
 * per call; a call is still probed for exactly when it has run longer than the grace.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { MonitorSettings } from './monitor-settings.js';
import { publishMonitor } from '../../observe/channels.js';

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
}

/** Told when the host was declared unavailable, for each aborted call. */
export interface CallOwner {
  hostDeclaredUnavailable(conn: PhysicalConnection): void;
}

/** One call in flight on the host. */
export interface CallInFlight {
  readonly conn: PhysicalConnection;
  readonly startedAt: number;
  readonly owner: CallOwner;
}

/** What a monitor has done, for tests, the soak and the docs' figures. */
export interface MonitorStats {
  readonly key: string;
  readonly users: number;
  readonly callsInFlight: number;
  readonly probing: boolean;
  readonly probeConnected: boolean;
  readonly probesSent: number;
  readonly probesFailed: number;
  /** Probes whose connect was refused for the server's certificate (counted as answers). */
  readonly probeCertificateErrors: number;
  readonly detections: number;
  /** Time from the oldest overdue call's start to the abort, of the latest detection (ms). */
  readonly lastDetectionMs: number | undefined;
  readonly unavailable: boolean;
}

export class HostMonitor {
  /** Insertion order is start order: the first entry is the oldest call. */
  private readonly calls = new Set<CallInFlight>();
  private graceTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
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
  ) {}

  /** A call starts on `conn` (a connection to this host). Hot path: no I/O, at most one timer. */
  enter(conn: PhysicalConnection, owner: CallOwner): CallInFlight {
    const call: CallInFlight = { conn, startedAt: performance.now(), owner };
    this.calls.add(call);
    if (this.graceTimer === undefined && !this.probing && !this.stopped) {
      this.armGrace(this.settings.graceMs);
    }
    return call;
  }

  /** The call settled (either way). The grace timer stays armed: see the class comment. */
  leave(call: CallInFlight): void {
    this.calls.delete(call);
  }

  /** What this monitor has done; `users` is the registry's count (monitor-registry.ts). */
  stats(): Omit<MonitorStats, 'users'> {
    return {
      key: this.key,
      callsInFlight: this.calls.size,
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
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.wakeUp();
    this.calls.clear();
    await this.probe.close();
  }

  private armGrace(ms: number): void {
    this.graceTimer = setTimeout(() => this.onGrace(), Math.max(0, ms));
    this.graceTimer.unref();
  }

  private oldest(): CallInFlight | undefined {
    for (const call of this.calls) return call;
    return undefined;
  }

  /** The grace timer fired: probe if the oldest call is overdue, else re-arm for it (none: lapse). */
  private onGrace(): void {
    this.graceTimer = undefined;
    if (this.stopped || this.probing) return;
    const oldest = this.oldest();
    if (oldest === undefined) return;
    const overdueIn = oldest.startedAt + this.settings.graceMs - performance.now();
    if (overdueIn > 0) {
      this.armGrace(overdueIn);
      return;
    }
    this.probing = true;
    void this.probeLoop();
  }

  private hasOverdueCall(): boolean {
    const oldest = this.oldest();
    return oldest !== undefined && performance.now() - oldest.startedAt >= this.settings.graceMs;
  }

  /** Probe while an overdue call exists; never rejects. */
  private async probeLoop(): Promise<void> {
    const { intervalMs, count } = this.settings;
    let failures = 0;
    try {
      while (!this.stopped && this.hasOverdueCall()) {
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
        if (wait > 0 && this.hasOverdueCall()) await this.sleep(wait);
      }
    } finally {
      this.probing = false;
      if (!this.stopped) {
        // Nothing overdue any more: no probe connection kept while idle.
        await this.probe.close();
        const oldest = this.oldest();
        if (oldest !== undefined && this.graceTimer === undefined && !this.probing) {
          this.armGrace(oldest.startedAt + this.settings.graceMs - performance.now());
        }
      }
    }
  }

  /** Abort the physical connection of every call in flight on the host. */
  private declareUnavailable(): void {
    const oldest = this.oldest();
    this.detections++;
    this.unavailable = true;
    this.lastDetectionMs = oldest === undefined ? undefined : performance.now() - oldest.startedAt;
    const aborted = [...this.calls];
    this.calls.clear();
    // The probe knows the address it watches (HostProbe.host); the key is the registry's.
    const probed = (this.probe as { readonly host?: { readonly host: string; readonly port: number } }).host;
    publishMonitor(() => ({
      event: 'host-monitoring-abort',
      host: probed === undefined ? this.key : `${probed.host}:${probed.port}`,
      callsAborted: aborted.length,
      detectionMs: this.lastDetectionMs,
      at: Date.now(),
    }));
    for (const call of aborted) {
      call.conn.abort();
      try {
        call.owner.hostDeclaredUnavailable(call.conn);
      } catch {
        // one owner's failure must not keep the others' calls hanging
      }
    }
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
