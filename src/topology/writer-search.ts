/**
 * Panic mode of the topology monitor (ARCHITECTURE.md › Failover v2: the topology monitor): one probe per known host, all at once.
 * Each probe connects to its host and asks the instance itself "am I the writer?" (the
 * dialect's writer check). A reader stays connected and is asked again shortly (a promoted
 * reader answers yes on the same session); its own topology is read too, and is trusted
 * only when it names a writer *different* from the one that failed, and even then only as a
 * hint: that writer gets a probe (or its probe is woken) and must confirm it by itself.
 * Network errors are retried with backoff and jitter; a refused certificate is not retried:
 * it ends the search (`refused`). The first verified writer ends the search: every other
 * probe stops and closes its connection. A probed name that is no instance of the topology (the
 * cluster endpoint the connections were given, when no topology was known yet) is reported as
 * the instance that answered (`identify`), so the verified writer is always named by instance
 * when that can be known.
 */
import { isCertificateError } from '../drivers/connection-lost.js';
import type { PhysicalConnection } from '../drivers/driver.js';
import { hostKey, type HostInfo } from '../drivers/host-info.js';
import { backoffMs, pause } from '../core/time.js';

/** First pause after a failed connect; doubles up to RETRY_MAX_MS (with jitter). */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 1000;
/** How often a connected reader is asked again (one query on an open session), growing slowly to READER_RECHECK_MAX_MS (after 45 s). */
const READER_RECHECK_MS = 50;
const READER_RECHECK_MAX_MS = 500;

export interface WriterSearchDeps {
  /** Open a bounded connection to `host` (rejects on failure or abort). */
  connect(host: HostInfo, signal: AbortSignal): Promise<PhysicalConnection>;
  /** Bounded "am I the writer?" asked of the instance behind `conn`. */
  isWriter(conn: PhysicalConnection): Promise<boolean>;
  /** The topology as `conn`'s instance sees it (bounded); undefined when unusable. */
  readTopology(conn: PhysicalConnection): Promise<readonly HostInfo[] | undefined>;
  /** Close a connection without waiting on a dead socket; never rejects. */
  discard(conn: PhysicalConnection): void;
  /**
   * The instance that answered on `conn` to a probe of `host` (bounded; `host` itself when it is
   * an instance of the topology, or when the instance cannot be told); never rejects.
   */
  identify(host: HostInfo, conn: PhysicalConnection): Promise<HostInfo>;
  /** A writer verified itself: the search is over, `conn` is handed over. */
  found(host: HostInfo, conn: PhysicalConnection): void;
  /** `host`'s certificate was refused: no retry fixes that, the search is over (docs/tls.md). */
  refused(host: HostInfo, err: unknown): void;
  /** Whether two entries are the same instance (instance id, else host:port). */
  sameInstance(a: HostInfo, b: HostInfo): boolean;
}

interface Probe {
  readonly host: HostInfo;
  /** Ends the probe's current pause early (a reader named this host as the new writer). */
  wake: (() => void) | undefined;
}

export class WriterSearch {
  private readonly stopCtl = new AbortController();
  private readonly probes = new Map<string, Probe>();
  /** Connections the probes hold now: stop() closes them at once, not after a query bound. */
  private readonly held = new Set<PhysicalConnection>();
  private readonly startedAt = Date.now();
  private settled = false;

  /**
   * @param suspect the writer that failed: a reader's topology naming it again is stale.
   * @param deadline ms since epoch after which probing stops.
   */
  constructor(
    private readonly deps: WriterSearchDeps,
    private readonly suspect: HostInfo | undefined,
    private readonly deadline: number,
  ) {}

  get running(): boolean {
    return !this.settled;
  }

  /** Probe every host given (one probe per host, never two). */
  probeAll(hosts: readonly HostInfo[]): void {
    for (const h of hosts) this.probe(h);
  }

  /** Stop every probe; connections they hold are closed by the probes themselves. */
  stop(): void {
    this.settled = true;
    this.stopCtl.abort();
    for (const c of this.held) this.deps.discard(c);
    this.held.clear();
  }

  /** Number of hosts being probed (for tests and diagnostics). */
  get probeCount(): number {
    return this.probes.size;
  }

  private probe(host: HostInfo): void {
    if (this.settled) return;
    const key = hostKey(host);
    const existing = this.probes.get(key);
    if (existing !== undefined) {
      existing.wake?.();
      return;
    }
    const probe: Probe = { host, wake: undefined };
    this.probes.set(key, probe);
    // run() handles its own errors; the catch only keeps a bug from becoming an unhandled rejection.
    void this.run(probe)
      .catch(() => undefined)
      .finally(() => this.probes.delete(key));
  }

  private async pauseFor(probe: Probe, ms: number): Promise<void> {
    const early = new AbortController();
    const onStop = (): void => early.abort();
    this.stopCtl.signal.addEventListener('abort', onStop, { once: true });
    probe.wake = () => early.abort();
    try {
      await pause(ms, early.signal);
    } finally {
      probe.wake = undefined;
      this.stopCtl.signal.removeEventListener('abort', onStop);
    }
  }

  private active(): boolean {
    return !this.settled && Date.now() < this.deadline;
  }

  private async run(probe: Probe): Promise<void> {
    const { deps } = this;
    let conn: PhysicalConnection | undefined;
    let failures = 0;
    try {
      while (this.active()) {
        try {
          if (conn === undefined) {
            conn = await deps.connect(probe.host, this.stopCtl.signal);
            this.held.add(conn);
          }
          failures = 0;
          if (!this.active()) break;
          if (await deps.isWriter(conn)) {
            if (!this.active()) break;
            const writer = await deps.identify(probe.host, conn);
            if (!this.active()) break;
            const won = conn;
            this.held.delete(won);
            conn = undefined;
            this.settled = true;
            // Waiters first; closing the other probes' connections can wait a turn.
            deps.found(writer, won);
            this.stop();
            return;
          }
          this.followHint(await deps.readTopology(conn));
          const waited = Date.now() - this.startedAt;
          await this.pauseFor(probe, Math.min(READER_RECHECK_MAX_MS, READER_RECHECK_MS + waited / 100));
        } catch (err) {
          if (conn !== undefined) this.drop(conn);
          conn = undefined;
          if (!this.active()) break;
          if (isCertificateError(err)) {
            this.deps.refused(probe.host, err);
            return;
          }
          await this.pauseFor(probe, backoffMs(failures++, RETRY_BASE_MS, RETRY_MAX_MS));
        }
      }
    } finally {
      if (conn !== undefined) this.drop(conn);
    }
  }

  private drop(conn: PhysicalConnection): void {
    this.held.delete(conn);
    this.deps.discard(conn);
  }

  /** A reader's topology: only a writer other than the suspect is worth a probe of its own. */
  private followHint(hosts: readonly HostInfo[] | undefined): void {
    const named = hosts?.find((h) => h.role === 'writer');
    if (named === undefined) return;
    if (this.suspect !== undefined && this.deps.sameInstance(named, this.suspect)) return;
    this.probe(named);
  }
}
