/**
 * The topology monitor of failover v2 (ARCHITECTURE.md › Failover v2: the topology monitor): one per cluster per process,
 * shared by every connection and pool of that cluster (topology-monitors.ts keeps them).
 *
 * - Normal mode: every `topologyRefreshMs` it reads the topology through a connection of its
 *   own, to the writer when it can (when it only has a reader, it tries the writer again on
 *   every refresh), and shares the result with the connections' topology cache; while it reads,
 *   a connection finding that cache stale joins its read rather than sending one (issue 26).
 * - Panic mode (a connection reported its writer failed, or the monitor's own connection to
 *   the writer failed): a WriterSearch probes every host at once until an instance confirms
 *   by itself that it is the writer. Waiters (`awaitVerifiedWriter`) are then all woken at
 *   once by one resolved promise, the probes stop, and for 30 s the topology is refreshed
 *   every `clusterTopologyHighRefreshRateMs` so the readers re-appear. The search stops when
 *   nobody waits any more or `failoverTimeoutMs` has passed, or at once when a host's
 *   certificate is refused (waiters get the certificate error as `cause`; docs/tls.md). A
 *   refused certificate never starts a search either.
 * - A search nobody asked for (the monitor's own writer connection failed) lasts at most
 *   `topologyRefreshMs`. After a search that found no writer, no search starts again until a
 *   connection waits (it starts one at once) or a writer answers a refresh, and refreshes
 *   without a connection are paced by a backoff (1 s doubling to `topologyRefreshMs`, with
 *   jitter): a dead cluster is not probed on and on while nobody waits.
 * - A connection that found no topology known (its connect-time read did not conclude) asks
 *   for one read now (`refreshNow`); without any topology the search probes the initial hosts.
 *
 * Every timer is unref()'d; close() ends the timers, the search and the own connection.
 * Mode changes and verified writers are published on `aurora-ha:monitor` (and, deprecated,
 * `aurora-ha:failover2`).
 */
import { isCertificateError } from '../drivers/connection-lost.js';
import type { DriverAdapter, PhysicalConnection } from '../drivers/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { hostKey, sameInstance, withRole, type HostInfo } from '../drivers/host-info.js';
import { publishMonitorEvent } from './monitor-events.js';
import { publishMonitor } from '../observe/channels.js';
import { backoffMs, withTimeout } from '../core/time.js';
import { closeQuietly } from '../drivers/close-quietly.js';
import { acquireTopology, releaseTopology, type ClusterTopology } from './topology-cache.js';
import { WriterSearch } from './writer-search.js';

/** How long topology is refreshed at the high rate after a writer was verified (AWS's failover v2 uses 30 s). */
export const HIGH_RATE_WINDOW_MS = 30_000;
/** Bound on one query of the monitor (writer check, topology); a silent instance is cut. */
const QUERY_BOUND_MS = 3_000;
/** First pause after a search that found no writer before another one nobody asked for. */
const FRUITLESS_BACKOFF_MS = 1_000;

export interface TopologyMonitorOptions {
  /** Cluster identity (cluster-identity.ts); also the registry key. */
  readonly key: string;
  readonly driver: DriverAdapter;
  /** Driver settings (credentials included) of the first connection of the cluster. */
  readonly driverConfig: unknown;
  readonly dialect: Dialect;
  /** The topology as `conn`'s instance reports it; undefined when it names no writer. */
  readonly readTopology: (conn: PhysicalConnection) => Promise<readonly HostInfo[] | undefined>;
  /** Where to connect before any topology is known (the connection's own host). */
  readonly initialHosts: readonly HostInfo[];
  readonly refreshMs: number;
  readonly highRefreshMs: number;
  readonly failoverTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

interface Wake {
  readonly promise: Promise<HostInfo>;
  resolve(writer: HostInfo): void;
  reject(err: Error): void;
}

function makeWake(): Wake {
  let resolve!: (w: HostInfo) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<HostInfo>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when a search ends without a writer: never an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Close without waiting on a dead socket; never rejects. */
function discard(conn: PhysicalConnection): void {
  void closeQuietly(conn);
}

/** Raised to waiters when the monitor stops searching without having found a writer. */
export class NoVerifiedWriterError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'NoVerifiedWriterError';
  }
}

export class TopologyMonitor {
  readonly key: string;
  private readonly o: TopologyMonitorOptions;
  private list: readonly HostInfo[] = [];
  private writerHost: HostInfo | undefined;
  private own: { conn: PhysicalConnection; host: HostInfo; isWriter: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private highRateUntil = 0;
  private closed = false;
  private search: WriterSearch | undefined;
  private searchTimer: NodeJS.Timeout | undefined;
  /** Whether connections asked for the current search (it then stops when they all left). */
  private searchForWaiters = false;
  /** When the current search started (ms since epoch). */
  private searchStartedAt = 0;
  private waiters = 0;
  private wake: Wake | undefined;
  /** The normal-mode refresh running now (shared with refreshNow callers). */
  private tickRun: Promise<void> | undefined;
  /** The refresh running now asks for the next one at once (not after the interval). */
  private rerun = false;
  private seeding: Promise<void> | undefined;
  /** When the writer last answered on the monitor's own connection (verified, or a topology read). */
  private writerAnsweredAt = 0;
  /** Searches in a row that ended without a writer, and until when refreshes without a connection pause. */
  private fruitless = 0;
  private quietUntil = 0;
  /** Topology caches of the connections (by their cache key) this monitor keeps up to date. */
  private readonly shared = new Map<string, ClusterTopology>();
  /** Number of searches started (tests, diagnostics). */
  searches = 0;
  /** Connection attempts the monitor made, probes included (tests, diagnostics). */
  connectAttempts = 0;

  constructor(options: TopologyMonitorOptions) {
    this.o = options;
    this.key = options.key;
    this.schedule(0);
  }

  /** The last accepted topology (no I/O). */
  hosts(): readonly HostInfo[] {
    return this.list;
  }

  /** The writer the monitor last verified or read from a writer, if any. */
  writer(): HostInfo | undefined {
    return this.writerHost;
  }

  /** True while the monitor holds a connection of its own (tests, diagnostics). */
  get connected(): boolean {
    return this.own !== undefined && !this.own.conn.closed;
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** True while panic mode is probing. */
  get searching(): boolean {
    return this.search !== undefined;
  }

  /** `panic` while a writer search runs, else `normal` (getClusterStatus). */
  get mode(): 'normal' | 'panic' {
    return this.search !== undefined ? 'panic' : 'normal';
  }

  /** Keep the connections' topology cache `cacheKey` up to date too (once per key). */
  shareWith(cacheKey: string): void {
    if (this.closed || this.shared.has(cacheKey)) return;
    const t = acquireTopology(cacheKey);
    this.shared.set(cacheKey, t);
    if (this.list.length > 0) t.update(this.list);
  }

  /**
   * Before the monitor has read any topology: read it once through a connection that just
   * opened (shared by connections opening together), so failover is possible at once.
   */
  seed(conn: PhysicalConnection): Promise<void> {
    if (this.list.length > 0 || this.closed) return Promise.resolve();
    this.seeding ??= withTimeout(this.o.readTopology(conn), QUERY_BOUND_MS, 'topology query')
      .then((hosts) => {
        if (hosts !== undefined && this.list.length === 0) this.accept(hosts, false);
      })
      .catch(() => undefined)
      .finally(() => {
        this.seeding = undefined;
      });
    return this.seeding;
  }

  /**
   * A connection found no topology known (its connect-time read did not conclude, and neither
   * did the monitor's own): read it now, through the monitor's connection (joining a refresh
   * already running). Resolves when that refresh is over, whatever it found; never rejects.
   * The caller bounds the wait.
   */
  refreshNow(): Promise<void> {
    if (this.closed || this.list.length > 0) return Promise.resolve();
    return this.tick();
  }

  /**
   * A connection lost `host` (its writer). Starts panic mode unless the monitor already
   * searches, or already knows a different verified writer (the failure is old news).
   */
  reportFailure(host: HostInfo | undefined): void {
    if (this.closed || this.search !== undefined) return;
    const w = this.writerHost;
    if (host !== undefined && w !== undefined && !sameInstance(host, w)) return;
    // A failure that names no instance (a connect refused by a cluster endpoint whose DNS still
    // points at the failed writer) says nothing about a writer that answers us now: searching
    // again would drop our connection to it and keep waiters from it for a whole search.
    if (host === undefined && this.writerAnswering()) return;
    this.startSearch(host ?? w, true);
  }

  /**
   * Whether the monitor's own connection to its verified writer is open and answered within one
   * high-rate refresh plus one bounded query (what the monitor needs to notice a silent writer
   * by itself in the high-rate window). Outside that window answers are `refreshMs` apart, so a
   * failure naming no instance is searched for, as it always was.
   */
  private writerAnswering(): boolean {
    const own = this.own;
    return (
      own !== undefined &&
      own.isWriter &&
      !own.conn.closed &&
      Date.now() - this.writerAnsweredAt <= this.o.highRefreshMs + QUERY_BOUND_MS
    );
  }

  /**
   * Resolves with the verified writer: at once when no search runs and a writer is known,
   * otherwise the instant the search verifies one (every waiter by the same promise). Rejects
   * when `signal` fires or the search ends without a writer.
   */
  awaitVerifiedWriter(signal: AbortSignal): Promise<HostInfo> {
    if (this.closed) return Promise.reject(new NoVerifiedWriterError('the topology monitor is closed'));
    if (this.search === undefined && this.writerHost !== undefined) return Promise.resolve(this.writerHost);
    if (this.search === undefined) this.startSearch(undefined, true);
    this.searchForWaiters = true;
    const wake = this.wake;
    if (wake === undefined) return Promise.reject(new NoVerifiedWriterError('no search is running'));
    this.waiters++;
    return new Promise<HostInfo>((resolve, reject) => {
      let done = false;
      const leave = (): boolean => {
        if (done) return false;
        done = true;
        signal.removeEventListener('abort', onAbort);
        this.waiters--;
        if (this.waiters === 0 && this.searchForWaiters && this.search !== undefined) {
          this.endSearch(new NoVerifiedWriterError('no connection is waiting for a writer any more'));
        }
        return true;
      };
      const onAbort = (): void => {
        if (leave()) reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      wake.promise.then(
        (w) => {
          if (leave()) resolve(w);
        },
        (e: unknown) => {
          if (leave()) reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  /** Stop everything: timers, the search (waiters are rejected), the own connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.endSearch(new NoVerifiedWriterError('the topology monitor is closed'));
    if (this.own !== undefined) discard(this.own.conn);
    this.own = undefined;
    for (const t of this.shared.values()) releaseTopology(t);
    this.shared.clear();
  }

  // ---- panic mode ------------------------------------------------------------------------

  private startSearch(suspect: HostInfo | undefined, forWaiters: boolean): void {
    if (this.closed || this.search !== undefined) return;
    // Nobody asked, and the last search found nothing: no search again until a connection
    // waits (it starts one at once) or a writer answers; normal-mode refreshes go on, paced.
    if (!forWaiters && this.fruitless > 0) return;
    this.searches++;
    this.searchForWaiters = forWaiters;
    this.wake ??= makeWake();
    // A search nobody waits for is a check, not a failover: it probes for one refresh period.
    const lasts = forWaiters
      ? this.o.failoverTimeoutMs
      : Math.min(this.o.failoverTimeoutMs, this.o.refreshMs);
    const deadline = Date.now() + lasts;
    const search = new WriterSearch(
      {
        connect: (host, signal) => {
          this.connectAttempts++;
          return this.o.driver.connect(host, this.o.driverConfig, {
            timeoutMs: this.o.connectTimeoutMs,
            signal,
            purpose: 'monitor',
          });
        },
        isWriter: (conn) => this.isWriter(conn),
        identify: (host, conn) => this.identify(host, conn),
        readTopology: (conn) =>
          withTimeout(this.o.readTopology(conn), QUERY_BOUND_MS, 'topology query', undefined, () =>
            conn.abort(),
          ),
        discard,
        found: (host, conn) => this.found(search, host, conn),
        refused: (host, err) => {
          if (this.search !== search) return;
          this.endSearch(
            new NoVerifiedWriterError(`the server certificate of ${hostKey(host)} was refused`, {
              cause: err,
            }),
          );
        },
        sameInstance,
      },
      suspect,
      deadline,
    );
    this.search = search;
    this.searchTimer = setTimeout(
      () =>
        this.endSearch(
          new NoVerifiedWriterError(`no writer verified itself within ${lasts} ms of searching`),
        ),
      lasts,
    );
    this.searchTimer.unref();
    // The monitor's own connection to the failed writer is worth nothing now.
    if (this.own !== undefined && suspect !== undefined && sameInstance(this.own.host, suspect)) {
      discard(this.own.conn);
      this.own = undefined;
    }
    this.searchStartedAt = Date.now();
    publishMonitorEvent(() => ({ event: 'panic-start', cluster: this.key, at: this.searchStartedAt }));
    publishMonitor(() => ({
      event: 'mode',
      clusterId: this.key,
      mode: 'panic',
      reason: forWaiters ? 'waiters' : 'own-connection-lost',
      at: this.searchStartedAt,
    }));
    search.probeAll(this.probeTargets());
  }

  /** Every known host (the failed writer too: it may come back), else the initial hosts. */
  private probeTargets(): readonly HostInfo[] {
    return this.list.length > 0 ? this.list : this.o.initialHosts;
  }

  private endSearch(reason: NoVerifiedWriterError): void {
    const search = this.search;
    if (search === undefined) return;
    this.search = undefined;
    this.fruitless++;
    this.quietUntil = Date.now() + backoffMs(this.fruitless - 1, FRUITLESS_BACKOFF_MS, this.o.refreshMs);
    if (this.searchTimer !== undefined) clearTimeout(this.searchTimer);
    this.searchTimer = undefined;
    search.stop();
    const wake = this.wake;
    this.wake = undefined;
    publishMonitor(() => ({
      event: 'mode',
      clusterId: this.key,
      mode: 'normal',
      reason: 'search-ended',
      at: Date.now(),
    }));
    wake?.reject(reason);
  }

  private found(search: WriterSearch, host: HostInfo, conn: PhysicalConnection): void {
    if (this.closed || this.search !== search) {
      discard(conn);
      return;
    }
    const at = Date.now();
    this.search = undefined;
    this.fruitless = 0;
    this.quietUntil = 0;
    if (this.searchTimer !== undefined) clearTimeout(this.searchTimer);
    this.searchTimer = undefined;
    const entry = this.list.find((h) => sameInstance(h, host)) ?? host;
    const writer = withRole(entry, 'writer');
    this.writerHost = writer;
    const previous = this.own;
    this.own = { conn, host: writer, isWriter: true };
    this.writerAnsweredAt = at;
    this.highRateUntil = at + HIGH_RATE_WINDOW_MS;
    const wake = this.wake;
    this.wake = undefined;
    publishMonitorEvent(() => ({ event: 'writer-verified', cluster: this.key, writer: hostKey(writer), at }));
    publishMonitor(() => ({
      event: 'writer-verified',
      clusterId: this.key,
      writer: hostKey(writer),
      searchMs: at - this.searchStartedAt,
      at,
    }));
    publishMonitor(() => ({
      event: 'mode',
      clusterId: this.key,
      mode: 'normal',
      reason: 'writer-verified',
      at,
    }));
    // Every waiter at once; the bookkeeping below runs after they resumed.
    wake?.resolve(writer);
    setImmediate(() => {
      if (previous !== undefined) discard(previous.conn);
      // Until the writer's own topology arrives: it is the writer, nobody else is.
      if (this.list.length > 0 && !this.closed) {
        this.publish(
          this.list.map((h) =>
            sameInstance(h, writer) ? writer : h.role === 'writer' ? withRole(h, 'reader') : h,
          ),
        );
      }
      this.schedule(0);
    });
  }

  /**
   * The instance behind a probe of `host`: `host` when it is an instance the monitor knows (no
   * I/O). Otherwise (the cluster endpoint probed before any topology was known) the instance
   * asks itself which instance it is (the dialect's instance-id query) and is looked up in the
   * topology, read through `conn` when the monitor has none; `host` as it is when the flavour
   * has no instance id, the query fails or the topology cannot name it (no instance host pattern).
   */
  private async identify(host: HostInfo, conn: PhysicalConnection): Promise<HostInfo> {
    const known = this.list.find((h) => sameInstance(h, host));
    if (known !== undefined || !this.o.dialect.topologyAware) return known ?? host;
    try {
      // A silent instance is cut, as by every query of the monitor (the waiters then reconnect by name).
      const cut = (): void => conn.abort();
      const id = await withTimeout(
        this.o.dialect.instanceId(conn),
        QUERY_BOUND_MS,
        'instance id',
        undefined,
        cut,
      );
      if (id === undefined) return host;
      const byId = (hosts: readonly HostInfo[] | undefined): HostInfo | undefined =>
        hosts?.find((h) => h.instanceId === id);
      return (
        byId(this.list) ??
        byId(
          await withTimeout(this.o.readTopology(conn), QUERY_BOUND_MS, 'topology query', undefined, cut),
        ) ??
        host
      );
    } catch {
      return host;
    }
  }

  private isWriter(conn: PhysicalConnection): Promise<boolean> {
    return withTimeout(this.o.dialect.isWriter(conn), QUERY_BOUND_MS, 'writer check', undefined, () =>
      conn.abort(),
    );
  }

  // ---- normal mode -----------------------------------------------------------------------

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private nextInterval(): number {
    return Date.now() < this.highRateUntil ? this.o.highRefreshMs : this.o.refreshMs;
  }

  /** One normal-mode refresh (or the one running now); never rejects. */
  private tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.tickRun !== undefined) return this.tickRun;
    if (this.search !== undefined) {
      this.schedule(this.o.highRefreshMs);
      return Promise.resolve();
    }
    const run = this.refreshOnce()
      // refreshOnce handles what it expects; never let a refresh become an unhandled rejection.
      .catch(() => undefined)
      .finally(() => {
        this.tickRun = undefined;
        // Without a connection after a fruitless search, the high rate would be one connect per
        // host ten times a second: wait out the backoff instead.
        const quiet = this.own === undefined ? this.quietUntil - Date.now() : 0;
        this.schedule(this.rerun ? 0 : Math.max(this.nextInterval(), quiet));
        this.rerun = false;
      });
    this.tickRun = run;
    return run;
  }

  private async refreshOnce(): Promise<void> {
    // A connection is reading the first topology: connect to the writer it names, not blindly.
    if (this.seeding !== undefined) await this.seeding;
    if (this.own === undefined || this.own.conn.closed || !this.own.isWriter) await this.openOwn();
    const own = this.own;
    if (own === undefined || this.closed || this.search !== undefined) return;
    const read = this.readThrough(own);
    this.lendRead(read);
    await read;
  }

  /**
   * While the monitor reads, a connection that finds the shared copy stale joins this read
   * instead of sending its own (issue 26): the copy goes stale once per period, just before
   * this read ends. A read that publishes nothing makes the joiners read for themselves.
   */
  private lendRead(read: Promise<boolean>): void {
    for (const t of this.shared.values()) {
      if (t.inflight !== undefined) continue;
      const p = read.then((published) => {
        if (!published) throw new Error('the topology monitor read no topology it could publish');
        return t.hosts;
      });
      t.inflight = p;
      const clear = (): void => {
        if (t.inflight === p) t.inflight = undefined;
      };
      void p.then(clear, clear);
    }
  }

  /** One normal-mode topology read through the monitor's connection; true when published. */
  private async readThrough(own: {
    conn: PhysicalConnection;
    host: HostInfo;
    isWriter: boolean;
  }): Promise<boolean> {
    try {
      const hosts = await withTimeout(
        this.o.readTopology(own.conn),
        QUERY_BOUND_MS,
        'topology query',
        undefined,
        () => own.conn.abort(),
      );
      if (this.own === own && own.isWriter) this.writerAnsweredAt = Date.now();
      if (hosts === undefined || this.own !== own || this.search !== undefined) return false;
      const named = hosts.find((h) => h.role === 'writer');
      // Inside the high-rate window the verified writer's own metadata may still name the old
      // writer: accept() ignores that topology, as it must not be followed here either.
      if (
        own.isWriter &&
        named !== undefined &&
        !sameInstance(named, own.host) &&
        Date.now() >= this.highRateUntil
      ) {
        // Our writer was demoted (a switchover), or it was reached through a name that is not
        // its instance's (a cluster endpoint): reconnect to the writer it names, at once.
        own.isWriter = false;
        this.writerHost = named;
        this.rerun = true;
        return false;
      }
      return this.accept(hosts, own.isWriter);
    } catch {
      // A query that failed on a connection still open says nothing about the instance: keep
      // the connection and read again next time. A lost one (a bounded read cut it) may be a
      // failed writer: find out.
      if (this.own !== own || !own.conn.closed) return false;
      this.own = undefined;
      discard(own.conn);
      if (own.isWriter && !this.closed) this.startSearch(own.host, false);
      return false;
    }
  }

  /** Connect to the writer first, else any host; the role is asked of the instance itself. */
  private async openOwn(): Promise<void> {
    const candidates: HostInfo[] = [];
    const add = (h: HostInfo | undefined): void => {
      if (h !== undefined && !candidates.some((c) => hostKey(c) === hostKey(h))) candidates.push(h);
    };
    add(this.writerHost);
    for (const h of this.list) add(h);
    if (candidates.length === 0) for (const h of this.o.initialHosts) add(h);
    for (const host of candidates) {
      if (this.closed || this.search !== undefined) return;
      if (this.own !== undefined && !this.own.conn.closed && sameInstance(this.own.host, host)) return;
      let conn: PhysicalConnection;
      try {
        this.connectAttempts++;
        conn = await this.o.driver.connect(host, this.o.driverConfig, {
          timeoutMs: this.o.connectTimeoutMs,
          purpose: 'monitor',
        });
      } catch (err) {
        // A refused certificate is no sign the writer is down: never a reason to search.
        if (isCertificateError(err)) continue;
        if (host === this.writerHost && host === candidates[0] && this.own === undefined) {
          // The writer is unreachable and we have nothing else: find out who the writer is.
          this.startSearch(host, false);
          return;
        }
        continue;
      }
      let isWriter: boolean;
      try {
        isWriter = await this.isWriter(conn);
      } catch {
        discard(conn);
        continue;
      }
      // A writer reached through the cluster endpoint (no topology yet) is named by its instance,
      // as a search names it: writer() and a waiter arriving now must not get the endpoint.
      const named = isWriter ? await this.identify(host, conn) : host;
      if (this.closed || this.search !== undefined || conn.closed) {
        discard(conn);
        if (this.closed || this.search !== undefined) return;
        continue;
      }
      if (this.own !== undefined) discard(this.own.conn);
      this.own = { conn, host: named, isWriter };
      if (isWriter) {
        this.writerHost = withRole(named, 'writer');
        this.writerAnsweredAt = Date.now();
      }
      if (isWriter || this.writerHost === undefined) return;
    }
  }

  /**
   * Take a topology. Right after a verified writer (high-rate window), or from a reader, a
   * topology naming another writer than the verified one is stale and is ignored.
   */
  private accept(hosts: readonly HostInfo[], fromWriter: boolean): boolean {
    const named = hosts.find((h) => h.role === 'writer');
    if (named === undefined) return false;
    const w = this.writerHost;
    if (w !== undefined && !sameInstance(named, w)) {
      if (!fromWriter || Date.now() < this.highRateUntil) return false;
    }
    this.writerHost = named;
    if (fromWriter) {
      this.fruitless = 0;
      this.quietUntil = 0;
    }
    this.publish(hosts);
    return true;
  }

  private publish(hosts: readonly HostInfo[]): void {
    this.list = hosts;
    for (const t of this.shared.values()) t.update(hosts);
  }
}
