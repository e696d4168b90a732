/**
 * The failover plugin (v1, seeds 001/002): watches every network-bound call of a logical
 * connection; on a network error (or a read-only error in strict-writer mode, i.e. a demoted
 * writer, confirmed by the instance itself: writer-role-check.ts) it finds another instance, switches the logical connection to it and rejects the
 * call with FailoverSuccessError / TransactionResolutionUnknownError, or FailoverFailedError
 * when no instance could be reached within `failoverTimeoutMs`. Calls that fail together
 * share one failover. Optionally also fails over a failed initial connect.
 */
import type { FailoverMode } from '../../config/wrapper-options.js';
import { ConfigurationError, FailoverFailedError, UnavailableHostError } from '../../core/errors.js';
import { markConnectionLost } from '../../drivers/connection-lost.js';
import {
  NETWORK_METHODS,
  type ConnectNext,
  type ExecuteNext,
  type NetworkMethod,
  type Plugin,
  type PipelineMethod,
  type PluginService,
} from '../../core/plugin.js';
import type { ErrorKind, PhysicalConnection, SessionState } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../hosts/host-info.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { readerSelection } from '../../selectors/reader-selection.js';
import type { FailoverContext, FailoverResult } from './failover-context.js';
import { availabilityKeys, topologyEntryFor } from './failover-hosts.js';
import { failoverModeOf } from './failover-mode.js';
import { outcomeError, rollbackQuietly, ROLLBACK_TIMEOUT_MS } from './failover-outcome.js';
import { Deadline, withTimeout } from './failover-timing.js';
import { hostPatternProblem } from './host-pattern-check.js';
import { closeQuietly } from './opened-connections.js';
import { readerFailover } from './reader-failover.js';
import { writerFailover } from './writer-failover.js';
import { confirmedNotWriter } from './writer-role-check.js';

/** Bound on the topology refresh and session-state restore done on the new connection. */
const AFTER_FAILOVER_STEP_MS = 2000;

const SUBSCRIBES: readonly PipelineMethod[] = ['connect', ...NETWORK_METHODS];

interface InFlight {
  readonly failed: PhysicalConnection | undefined;
  readonly done: Promise<FailoverResult>;
}

export class FailoverPlugin implements Plugin {
  readonly code = 'failover';
  readonly subscribes = SUBSCRIBES;
  /** Effective mode (configured, or derived from the initial URL). */
  readonly mode: FailoverMode;
  private inFlight: InFlight | undefined;
  /** Physical connections already replaced by a failover (weak: no growth; created on first failover). */
  private replaced: WeakSet<PhysicalConnection> | undefined;
  /** Set when a failover failed: the logical connection is unusable from then on. */
  private failure: FailoverFailedError | undefined;
  /** Aborts running failovers on release(); created by the first failover (heap per idle connection matters). */
  private releasedCtl: AbortController | undefined;
  private isReleased = false;
  /** Which topology instance the latest physical connection is on (a cluster endpoint hides it). */
  private known: { readonly conn: PhysicalConnection; readonly host: HostInfo } | undefined;
  /** The role check in progress after a read-only error (see writer-role-check.ts). */
  private checking: { readonly conn: PhysicalConnection; readonly result: Promise<boolean> } | undefined;

  private readonly readerSelector: HostSelector | undefined;

  constructor(private readonly service: PluginService) {
    const options = service.config.options;
    this.mode = failoverModeOf(options, service.initialUrlType);
    // Random order is the default; other strategies go through the shared selectors, with the
    // same per-cluster state (rotation, connection counts, response times) as initialConnection.
    this.readerSelector =
      options.failoverReaderHostSelectorStrategy === 'random'
        ? undefined
        : readerSelection(service).selector(
            options.failoverReaderHostSelectorStrategy,
            'failoverReaderHostSelectorStrategy',
          );
  }

  /** Count this connection on its host (leastConnections) and start response-time measurement. */
  notifyConnectionChanged(host: HostInfo): void {
    readerSelection(this.service).connectionChanged(host);
  }

  async connect(host: HostInfo, isInitial: boolean, next: ConnectNext): Promise<PhysicalConnection> {
    let conn: PhysicalConnection;
    try {
      conn = await next(host, isInitial);
    } catch (err) {
      if (
        !isInitial ||
        !this.service.config.options.enableConnectFailover ||
        this.service.classify(err) !== 'network'
      ) {
        throw err;
      }
      // Nothing is connected yet: the topology can only come from an earlier connection of this
      // cluster (shared cache) through the dialect detected for this host (detection cache).
      this.service.adoptKnownDialect?.();
      if (!this.mayFailOver('network')) throw err;
      const result = await this.findReplacement(host, 'network', err).catch((e: unknown) => {
        throw this.asFailed(e, err);
      });
      this.known = { conn: result.conn, host: result.host };
      return result.conn;
    }
    const problem = this.service.config.options.enableFailover
      ? hostPatternProblem(this.service, this.service.dialect)
      : undefined;
    if (problem !== undefined) {
      await closeQuietly(conn);
      throw problem;
    }
    await this.learnTopology(conn);
    if (conn.closed) {
      // The instance stopped answering between the handshake and the topology read (bounded):
      // hand out no dead connection.
      const bound = this.internalQueryBoundMs();
      const err = new UnavailableHostError(
        hostKey(host),
        `${hostKey(host)} did not answer the topology / instance-id query within ${bound} ms (failoverReaderConnectTimeoutMs) after connecting.`,
      );
      markConnectionLost(err);
      throw err;
    }
    return conn;
  }

  /** Bound on every query this plugin sends on its own (topology, instance id, role). */
  private internalQueryBoundMs(): number {
    const o = this.service.config.options;
    return Math.min(o.failoverReaderConnectTimeoutMs, o.failoverTimeoutMs);
  }

  /** Hot path: two reads and one rejection handler; nothing else unless the call fails. */
  execute<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.unusable());
    const conn = this.service.current;
    const inTxBefore = this.service.inTransaction();
    let call: Promise<T>;
    try {
      call = next(method, run);
    } catch (err) {
      call = Promise.reject(err);
    }
    const guarded = call.catch(async (err: unknown) => {
      const inTx =
        inTxBefore || (conn !== undefined && this.service.current === conn && conn.inTransaction());
      throw await this.errorFor(err, conn, inTx);
    });
    // Keep the shared topology fresh while connections live: once per topologyRefreshMs per
    // cluster, after a successful call, through this connection when it is idle.
    if (this.service.topologyStale?.() === true) {
      void guarded.then(
        () => this.service.refreshTopologyQuietly?.(this.internalQueryBoundMs()),
        () => undefined,
      );
    }
    return guarded;
  }

  async release(): Promise<void> {
    this.isReleased = true;
    this.releasedCtl?.abort();
    readerSelection(this.service).release();
  }

  private instanceOf(conn: PhysicalConnection | undefined): HostInfo | undefined {
    return conn !== undefined && this.known?.conn === conn ? this.known.host : undefined;
  }

  /** The error the failing call rejects with (the original one when failover does not apply). */
  private async errorFor(
    err: unknown,
    conn: PhysicalConnection | undefined,
    inTx: boolean,
  ): Promise<unknown> {
    const joinable = this.inFlight !== undefined && this.inFlight.failed === conn;
    if (!joinable && conn !== undefined && this.replaced?.has(conn) === true) {
      // Sent on a connection an earlier failover replaced (and aborted): its fate is as unknown
      // as the call that started that failover, and the logical connection works again.
      const host = this.service.currentHost;
      if (host !== undefined && this.failure === undefined) return outcomeError(host, inTx, err);
    }
    const kind = this.service.classify(err);
    if (!this.mayFailOver(kind)) return err;
    if (this.failure !== undefined) return this.unusable();
    let pending = joinable ? this.inFlight?.done : undefined;
    if (pending === undefined && kind === 'read-only' && conn !== undefined) {
      // Not a network error: move only when the instance confirms it is no longer the writer.
      if (!(await this.roleCheck(conn))) return err;
      // Another call may have started (or finished) the failover while we asked.
      if (this.inFlight?.failed === conn) pending = this.inFlight.done;
      else if (this.service.current !== conn) {
        const host = this.service.currentHost;
        return host !== undefined && this.failure === undefined ? outcomeError(host, inTx, err) : err;
      }
    }
    if (pending === undefined) {
      const done = this.failOver(conn, kind, err, inTx);
      const entry: InFlight = { failed: conn, done };
      this.inFlight = entry;
      const clear = (): void => {
        if (this.inFlight === entry) this.inFlight = undefined;
      };
      done.then(clear, clear);
      pending = done;
    }
    try {
      const result = await pending;
      return outcomeError(result.host, inTx, err);
    } catch (e) {
      return e;
    }
  }

  /**
   * Failover needs the cluster's hosts before anything fails: read the topology through the new
   * connection (the cache is shared per cluster with a TTL, so most connects cost no query).
   * A failure here is not the user's problem: failover then simply does not apply.
   */
  private async learnTopology(conn: PhysicalConnection): Promise<void> {
    const s = this.service;
    if (!s.config.options.enableFailover || s.dialect === undefined || !s.dialect.topologyAware) return;
    // Both queries are bounded: a silent instance must not make connect() hang (the connection
    // is aborted on timeout; connect() then rejects).
    const bound = this.internalQueryBoundMs();
    const giveUp = (): void => conn.abort();
    try {
      await withTimeout(s.refreshHostList(conn), bound, 'topology query', undefined, giveUp);
      // A cluster endpoint hides the instance; knowing it lets failover skip the failed one.
      const instance = await withTimeout(
        s.identifyConnection(conn),
        bound,
        'instance id query',
        undefined,
        giveUp,
      );
      if (instance !== undefined) this.known = { conn, host: instance };
    } catch {
      // Topology stays unknown; a later refresh (after a failover, by another connection) may fill it.
    }
  }

  /** One "is it still the writer?" check per failing connection, shared by calls failing together. */
  private roleCheck(conn: PhysicalConnection): Promise<boolean> {
    const running = this.checking;
    if (running !== undefined && running.conn === conn) return running.result;
    const result = confirmedNotWriter(this.service, conn, this.instanceOf(conn), this.internalQueryBoundMs());
    const entry = { conn, result };
    this.checking = entry;
    const clear = (): void => {
      if (this.checking === entry) this.checking = undefined;
    };
    void result.then(clear);
    return result;
  }

  /** A lost socket is recovered on the next call while failover applies and has not failed. */
  recoversFromLoss(): boolean {
    return this.failure === undefined && this.mayFailOver('network');
  }

  /** Whether an error of this kind starts (or joins) a failover. */
  private mayFailOver(kind: ErrorKind): boolean {
    const s = this.service;
    if (!s.config.options.enableFailover || s.closing || s.initialUrlType === 'proxy') return false;
    if (kind !== 'network' && !(kind === 'read-only' && this.mode === 'strict-writer')) return false;
    // Unknown topology, or a flavour that cannot report one: the raw error surfaces.
    if (s.dialect === undefined || !s.dialect.topologyAware) return false;
    return s.hosts().length > 0;
  }

  /** One failover of the logical connection: find a replacement and switch to it. */
  private async failOver(
    failedConn: PhysicalConnection | undefined,
    kind: ErrorKind,
    cause: unknown,
    inTx: boolean,
  ): Promise<FailoverResult> {
    const s = this.service;
    try {
      if (failedConn !== undefined && (inTx || failedConn.inTransaction())) {
        await rollbackQuietly(failedConn, Math.min(ROLLBACK_TIMEOUT_MS, s.config.options.failoverTimeoutMs));
      }
      const on = this.instanceOf(failedConn);
      const result = await this.findReplacement(on ?? s.currentHost, kind, cause);
      try {
        await this.prepareNewConnection(result, failedConn);
        await s.setCurrentConnection(result.conn, result.host);
      } catch (e) {
        await closeQuietly(result.conn);
        throw e;
      }
      this.known = { conn: result.conn, host: result.host };
      if (failedConn !== undefined) (this.replaced ??= new WeakSet()).add(failedConn);
      return result;
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      const failed = this.asFailed(e, cause);
      this.failure = failed;
      failedConn?.abort();
      s.notifyFailoverFailed?.(failedConn, failed);
      throw failed;
    }
  }

  /** Run the writer or reader failover for `current`, bounded by failoverTimeoutMs. */
  private async findReplacement(
    current: HostInfo | undefined,
    kind: ErrorKind,
    cause: unknown,
  ): Promise<FailoverResult> {
    const s = this.service;
    const problem = hostPatternProblem(s, s.dialect);
    if (problem !== undefined) throw problem;
    const options = s.config.options;
    const onWriter = this.mode === 'strict-writer' || current?.role === 'writer';
    const failedHost = topologyEntryFor(current, s.hosts(), onWriter);
    if (failedHost !== undefined && kind === 'network')
      s.setAvailability(availabilityKeys(failedHost), 'unavailable');
    if (this.isReleased) throw new FailoverFailedError('the connection was ended', { cause });
    const stop = new AbortController();
    const onRelease = (): void => stop.abort();
    const released = (this.releasedCtl ??= new AbortController()).signal;
    released.addEventListener('abort', onRelease, { once: true });
    const timer = setTimeout(() => stop.abort(), options.failoverTimeoutMs);
    timer.unref();
    const ctx: FailoverContext = {
      service: s,
      mode: this.mode,
      failedHost,
      deadline: new Deadline(options.failoverTimeoutMs),
      signal: stop.signal,
      readerSelector: this.readerSelector,
    };
    try {
      return this.mode === 'strict-writer' ? await writerFailover(ctx) : await readerFailover(ctx);
    } catch (e) {
      if (released.aborted)
        throw new FailoverFailedError('the connection was ended during failover', { cause });
      throw e;
    } finally {
      clearTimeout(timer);
      released.removeEventListener('abort', onRelease);
    }
  }

  /**
   * A fresh topology through the new connection, then (optional) the session state: what the
   * user set through our API, overridden by what the failed connection's server reported
   * (restored last so no internal query runs inside the user's session settings).
   */
  private async prepareNewConnection(
    result: FailoverResult,
    failedConn: PhysicalConnection | undefined,
  ): Promise<void> {
    const s = this.service;
    s.setAvailability(availabilityKeys(result.host), 'available');
    try {
      await s.forceRefreshHostList(result.conn, AFTER_FAILOVER_STEP_MS);
    } catch {
      // The connection was verified; a topology refresh failure is not a reason to drop it.
    }
    if (s.config.options.keepSessionStateOnFailover) {
      await withTimeout(
        s.driver.restoreSessionState(result.conn, sessionToRestore(s.sessionState(), failedConn)),
        AFTER_FAILOVER_STEP_MS,
        'restoring session state',
      );
    }
  }

  private asFailed(e: unknown, cause: unknown): FailoverFailedError | ConfigurationError {
    if (e instanceof FailoverFailedError || e instanceof ConfigurationError) return e;
    const detail = e instanceof Error ? e.message : String(e);
    const where =
      this.service.currentHost !== undefined ? ` (from ${hostKey(this.service.currentHost)})` : '';
    return new FailoverFailedError(
      `no ${this.mode === 'strict-writer' ? 'writer' : 'instance'} could be reached within failoverTimeoutMs=${this.service.config.options.failoverTimeoutMs} ms${where}: ${detail}`,
      { cause },
    );
  }

  private unusable(): FailoverFailedError {
    return new FailoverFailedError(
      'an earlier failover failed; this connection cannot be used any more, open a new one',
      {
        cause: this.failure,
      },
    );
  }
}

/** API-recorded state, overridden by what the failed connection's server reported (also used by failover2). */
export function sessionToRestore(
  recorded: SessionState,
  failed: PhysicalConnection | undefined,
): SessionState {
  const reported = failed?.reportedSessionState?.() ?? {};
  const parameters = { ...(recorded.parameters ?? {}), ...(reported.parameters ?? {}) };
  const state: SessionState = { ...recorded, ...reported };
  if (Object.keys(parameters).length > 0) state.parameters = parameters;
  return state;
}
