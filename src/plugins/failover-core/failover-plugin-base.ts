/**
 * What failover v1 and v2 share (ARCHITECTURE.md › The path of one failover), written once: which failed call starts a failover
 * (network errors; read-only errors in strict-writer mode once the instance confirms it is no
 * longer the writer), calls failing together joining one failover, calls sent on a connection
 * an earlier failover replaced, the idle loss (a connection found lost before a call is sent:
 * the call is not sent, the failover runs and the call rejects marked not sent), rollback,
 * session restore, the outcome errors, a failed failover leaving the connection unusable, the
 * failover of a failed initial connect, and the topology learnt at connect time.
 *
 * A subclass says only how the cluster's topology is known and how a replacement is found:
 * v1 searches per connection (writer-failover.ts), v2 waits for the cluster's monitor.
 */
import type { FailoverMode } from '../../core/wrapper-options.js';
import { ConfigurationError, FailoverFailedError, UnavailableHostError } from '../../core/errors.js';
import {
  NETWORK_METHODS,
  mayResend,
  type ConnectNext,
  type ExecuteNext,
  type NetworkMethod,
  type Plugin,
  type PipelineMethod,
  type PluginService,
} from '../../connection/plugin.js';
import { markConnectionLost } from '../../drivers/connection-lost.js';
import type { ErrorKind, PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../drivers/host-info.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { readerSelection } from './reader-selection.js';
import type { FailoverContext, FailoverResult } from './failover-context.js';
import { availabilityKeys, topologyEntryFor } from './failover-hosts.js';
import { failoverModeOf } from './failover-mode.js';
import { keepAlive } from '../../core/keep-alive.js';
import { SingleFlight } from '../../core/single-flight.js';
import { withTimeout, type Deadline } from '../../core/time.js';
import { hostPatternProblem } from './host-pattern-check.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { outcomeError, rollbackQuietly, ROLLBACK_TIMEOUT_MS } from './failover-outcome.js';
import { FailoverBudget } from './failover-budget.js';
import { armReadResend, mayResendRead } from './read-resend.js';
import { moveToOtherReader, shouldLeaveReader } from './reader-move.js';
import { restoreSession, RESTORE_TIMEOUT_MS } from './session-restore.js';
import { confirmedNotWriter } from './writer-role-check.js';
import { failoverTraced, traceFailover, type FailoverTrigger } from '../../observe/channels.js';
import { FailoverRecord, failoverLine } from '../../observe/failover-record.js';
import { aroundFailover, inFailover } from '../../observe/failover-work.js';
import { logs, writeLine } from '../../observe/log.js';

const SUBSCRIBES: readonly PipelineMethod[] = ['connect', ...NETWORK_METHODS];

/**
 * What a failed call rejects with, and whether it may instead be sent again on the replacement
 * (ARCHITECTURE.md › Failover outcomes: a statement a demoted writer rejected as read-only,
 * outside a transaction, did not apply).
 */
interface Outcome {
  readonly error: unknown;
  readonly resend: boolean;
}

const raw = (error: unknown): Outcome => ({ error, resend: false });

/**
 * `performance.now()` when a failing call's error arrives, only when failovers are observed
 * (a subscriber on aurora-ha:failover, the connection's logger, NODE_DEBUG); else undefined and
 * nothing is recorded. Runs on failed calls only, never on the query path.
 */
function failedAt(service: PluginService): number | undefined {
  return failoverTraced() || logs(service.config.options.logger) ? performance.now() : undefined;
}

/** `next(method, run)`, a synchronous throw turned into a rejection. */
function send<T>(next: ExecuteNext, method: NetworkMethod, run: () => Promise<T>): Promise<T> {
  try {
    return next(method, run);
  } catch (err) {
    return Promise.reject(err);
  }
}

export abstract class FailoverPluginBase implements Plugin {
  abstract readonly code: string;
  readonly subscribes = SUBSCRIBES;
  /** Configured mode (or derived from the initial URL). */
  private readonly configuredMode: FailoverMode;

  /** Effective mode: the one readWriteSplitting asks for on the side in use, else the configured one. */
  get mode(): FailoverMode {
    return this.service.failoverModeOverride ?? this.configuredMode;
  }
  protected readonly readerSelector: HostSelector | undefined;
  /** True once the logical connection is ending. */
  protected isReleased = false;
  /** The failover in progress, shared by calls failing together (created on first use, as the two below: heap per idle connection matters). */
  private inFlightSlot: SingleFlight<PhysicalConnection | undefined, FailoverResult> | undefined;
  /** Physical connections already replaced by a failover (weak: no growth; created on first failover). */
  private replaced: WeakSet<PhysicalConnection> | undefined;
  /** Set when a failover failed: the logical connection is unusable from then on. */
  private failure: FailoverFailedError | undefined;
  /** Aborts running failovers on release(); created by the first failover (heap per idle connection matters). */
  private releasedCtl: AbortController | undefined;
  /** Which topology instance the latest physical connection is on (a cluster endpoint hides it). */
  private known: { readonly conn: PhysicalConnection; readonly host: HostInfo } | undefined;
  /** A late topology read in progress (see learnLate), shared by calls failing together. */
  private learningSlot: SingleFlight<undefined, void> | undefined;
  /** The role check in progress after a read-only error (see writer-role-check.ts). */
  private checkingSlot: SingleFlight<PhysicalConnection, boolean> | undefined;

  private get inFlight(): SingleFlight<PhysicalConnection | undefined, FailoverResult> {
    return (this.inFlightSlot ??= new SingleFlight());
  }

  private get learning(): SingleFlight<undefined, void> {
    return (this.learningSlot ??= new SingleFlight());
  }

  private get checking(): SingleFlight<PhysicalConnection, boolean> {
    return (this.checkingSlot ??= new SingleFlight());
  }

  constructor(protected readonly service: PluginService) {
    const options = service.config.options;
    this.configuredMode = failoverModeOf(options, service.initialUrlType);
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

  // ---- what each plugin says for itself ----

  /** Whether the cluster's topology is known well enough to fail over (no I/O). */
  protected abstract topologyKnown(): boolean;
  /** The hosts the failed one is looked up in. */
  protected abstract clusterHosts(): readonly HostInfo[];
  /** Learn the topology through a new connection; the topology instance it is on, when known. */
  protected abstract learnTopology(conn: PhysicalConnection): Promise<HostInfo | undefined>;
  /** Find and verify a replacement (bounded by `ctx.deadline`, cancelled by `ctx.signal`). */
  protected abstract search(ctx: FailoverContext): Promise<FailoverResult>;
  /** How FailoverFailedError names what could not be reached in strict-writer mode. */
  protected abstract readonly writerWord: string;
  /** Before the failover of a failed initial connect (v2 joins the cluster's monitor). */
  protected beforeConnectFailover(): void {}
  /** The host a failed initial connect counts as failed. */
  protected connectFailoverOrigin(host: HostInfo): HostInfo | undefined {
    return host;
  }
  /** After a call went through the pipeline (v1 keeps the shared topology fresh here). */
  protected afterCall(_guarded: Promise<unknown>): void {}
  /**
   * On the verified replacement, before the session is restored (v1 refreshes the topology);
   * bounded by the failover's `deadline`.
   */
  protected async afterFound(_result: FailoverResult, _deadline: Deadline): Promise<void> {}
  /** The logical connection is ending (v2 lets go of the monitor). */
  protected releaseSource(): void {}
  /**
   * A failure found the topology unknown (not learnt at connect: a bounded read that did not
   * conclude under load, a cluster that showed no writer for a moment): learn it now, once,
   * bounded. Default: nothing to learn (v2's monitor keeps learning by itself).
   */
  protected async learnLate(): Promise<void> {}

  // ---- plugin hooks ----

  /** Count this connection on its host (leastConnections) and start response-time measurement. */
  notifyConnectionChanged(host: HostInfo): void {
    readerSelection(this.service).connectionChanged(host);
    this.noteInstance(host);
  }

  /**
   * A connection another plugin opened (initialConnection, through a cluster endpoint) skipped
   * this plugin's connect hook: name its instance from the topology as it is now, by the rule
   * a failover names the failed host (failover-hosts.ts `topologyEntryFor`: the host itself when
   * it is an instance; for a connection meant for the writer, whose role initialConnection
   * verified, the topology's writer). Taken now, not at the failover: by then another
   * connection's failover may have named the next writer. Unknown otherwise (a reader endpoint).
   */
  private noteInstance(host: HostInfo): void {
    const conn = this.service.current;
    if (conn === undefined || this.known?.conn === conn) return;
    const hosts = this.clusterHosts();
    const entry = topologyEntryFor(host, hosts, this.mode === 'strict-writer');
    if (entry === undefined || !hosts.includes(entry)) return;
    this.setKnown(conn, entry);
    this.service.identifiedAs?.(conn, entry);
  }

  async connect(host: HostInfo, isInitial: boolean, next: ConnectNext): Promise<PhysicalConnection> {
    const s = this.service;
    let conn: PhysicalConnection;
    try {
      conn = await next(host, isInitial);
    } catch (err) {
      if (!isInitial || !s.config.options.enableConnectFailover || s.classify(err) !== 'network') throw err;
      // Nothing is connected yet: the topology can only come from an earlier connection of this
      // cluster (shared cache or monitor) through the dialect detected for this host.
      s.adoptKnownDialect?.();
      this.beforeConnectFailover();
      if (!this.mayFailOver('network')) throw err;
      const origin = this.connectFailoverOrigin(host);
      const record = this.startRecord('connect', origin ?? host, failedAt(this.service));
      const result = await this.recorded(record, false, () => this.connectFailover(origin, err, record));
      this.setKnown(result.conn, result.host);
      return result.conn;
    }
    const problem = s.config.options.enableFailover ? hostPatternProblem(s, s.dialect) : undefined;
    if (problem !== undefined) {
      await closeQuietly(conn);
      throw problem;
    }
    try {
      const instance = await this.learnTopology(conn);
      if (instance !== undefined) {
        this.setKnown(conn, instance);
        s.identifiedAs?.(conn, instance);
      }
    } catch {
      // Topology stays unknown; a later refresh (after a failover, by another connection) may fill it.
    }
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

  /** Hot path: three reads and one rejection handler; nothing else unless the call fails. */
  execute<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.unusable());
    const conn = this.service.current;
    // Lost while idle (ARCHITECTURE.md › Idle loss): the call is not sent; it recovers the connection instead.
    if (conn !== undefined && conn.closed && this.recoversFromLoss())
      return this.recoverIdleLoss(conn, method, run, next);
    // A connection already lost (the loss not recoverable when it happened) never sends it.
    const sendable = conn === undefined || !conn.closed;
    // service.inTransaction() of `conn` (the current connection), without the second lookup.
    const inTxBefore = conn !== undefined && conn.inTransaction();
    const call = send(next, method, run);
    const guarded = call.catch(async (err: unknown) => {
      const inTx =
        inTxBefore || (conn !== undefined && this.service.current === conn && conn.inTransaction());
      const outcome = await this.errorFor(err, conn, inTx, sendable);
      if (outcome.resend && mayResend(run)) return this.resend(method, run, next);
      throw outcome.error;
    });
    this.afterCall(guarded);
    return guarded;
  }

  /**
   * Send again, once, on the replacement, a call the demoted writer rejected as read-only
   * (it did not apply). A network error now has the outcome of any failed call; a read-only
   * error again is the caller's, as it is (no second role check, no second resend).
   */
  private resend<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.unusable());
    const conn = this.service.current;
    const inTxBefore = this.service.inTransaction();
    const call = send(next, method, run);
    return call.catch(async (err: unknown) => {
      if (this.service.classify(err) === 'read-only') throw err;
      const inTx =
        inTxBefore || (conn !== undefined && this.service.current === conn && conn.inTransaction());
      throw (await this.errorFor(err, conn, inTx, true)).error;
    });
  }

  /**
   * Its reader lags past maxReplicaLagMs or was promoted to writer, and another reader is fine:
   * move before being handed out (reader-move.ts).
   */
  wantsToMove(): boolean {
    if (this.failure !== undefined || this.isReleased || this.mode === 'strict-writer') return false;
    if (this.known?.host.role !== 'reader') return false;
    return shouldLeaveReader(this.service, this.known, this.clusterHosts());
  }

  async moveNow(): Promise<boolean> {
    const at = this.known;
    if (at === undefined || !this.wantsToMove()) return false;
    const released = (this.releasedCtl ??= new AbortController()).signal;
    const moved = await moveToOtherReader(this.service, at, this.readerSelector, released);
    if (moved === undefined) return false;
    this.setKnown(moved.conn, moved.host);
    return true;
  }

  /** Not counted on its host any more from the moment the user ends it (leastConnections). */
  ending(): void {
    readerSelection(this.service).release();
  }

  async release(): Promise<void> {
    this.isReleased = true;
    this.releasedCtl?.abort();
    readerSelection(this.service).release();
    this.releaseSource();
  }

  /** A lost socket is recovered on the next call while failover applies and has not failed. */
  recoversFromLoss(): boolean {
    return this.failure === undefined && this.mayFailOver('network');
  }

  /** Whether a lost socket may still be recovered once the topology is learnt (failover on, not failed). */
  mayRecoverLoss(): boolean {
    return this.failure === undefined && this.triggers('network');
  }

  // ---- shared machinery ----

  /** The failover of a failed initial connect, bounded by its own budget. */
  private async connectFailover(
    origin: HostInfo | undefined,
    err: unknown,
    record: FailoverRecord | undefined,
  ): Promise<FailoverResult> {
    const budget = this.startBudget();
    let result: FailoverResult;
    try {
      result = await budget.settle(this.findReplacement(origin, 'network', err, budget, record), (late) =>
        late.conn.abort(),
      );
    } catch (e) {
      throw this.asFailed(this.stoppedBy(budget, e, err), err);
    } finally {
      budget.dispose();
    }
    budget.commit();
    return result;
  }

  /**
   * The record of a failover starting now, or undefined when nobody observes failovers (no
   * subscriber on aurora-ha:failover, no logger, no NODE_DEBUG): then nothing is timed.
   */
  private startRecord(
    trigger: FailoverTrigger,
    old: HostInfo | undefined,
    at: number | undefined,
  ): FailoverRecord | undefined {
    const s = this.service;
    if (at === undefined) return undefined;
    return new FailoverRecord(
      {
        connectionId: s.connectionId ?? 0,
        clusterId: s.hostListProvider.clusterId,
        plugin: this.code,
        mode: this.mode,
        trigger,
        oldHost: old === undefined ? undefined : hostKey(old),
      },
      at,
    );
  }

  /**
   * Run one failover (`run`), recorded when `record` is given: traced on aurora-ha:failover
   * when someone subscribes, summed up in one log line (info; warn when it failed).
   */
  private recorded(
    record: FailoverRecord | undefined,
    inTx: boolean,
    run: () => Promise<FailoverResult>,
    failedConn?: PhysicalConnection,
  ): Promise<FailoverResult> {
    if (record === undefined) return run();
    let result: FailoverResult | undefined;
    const body = async (): Promise<void> => {
      try {
        result = await run();
        record.finish(
          inTx ? 'TransactionResolutionUnknownError' : 'FailoverSuccessError',
          hostKey(result.host),
        );
      } catch (e) {
        record.finish(
          e instanceof ConfigurationError ? 'ConfigurationError' : 'FailoverFailedError',
          undefined,
        );
        throw e;
      } finally {
        const logger = this.service.config.options.logger;
        if (logs(logger)) {
          const failed = record.message.outcome === 'FailoverFailedError';
          writeLine(logger, failed ? 'warn' : 'info', failoverLine(record.message));
        }
      }
    };
    // Traced: in the context the bridge gives (the user's, a link to the failed statement), the
    // failover's own work in the failover's (observe/failover-work.ts).
    const m = record.message;
    const done = failoverTraced()
      ? aroundFailover(m, failedConn, () => traceFailover(m, () => inFailover(m, body)))
      : body();
    return done.then(() => result as FailoverResult);
  }

  /** Bound on every query the plugin sends on its own (topology, instance id, role). */
  protected internalQueryBoundMs(): number {
    const o = this.service.config.options;
    return Math.min(o.failoverReaderConnectTimeoutMs, o.failoverTimeoutMs);
  }

  /** Whether an error of this kind starts (or joins) a failover. */
  protected mayFailOver(kind: ErrorKind): boolean {
    // Unknown topology, or a flavour that cannot report one: the raw error surfaces.
    return this.triggers(kind) && this.topologyKnown();
  }

  /** Whether failover is on and an error of this kind is a trigger (topology aside). */
  private triggers(kind: ErrorKind): boolean {
    const s = this.service;
    if (!s.config.options.enableFailover || s.closing || s.initialUrlType === 'proxy') return false;
    return kind === 'network' || (kind === 'read-only' && this.mode === 'strict-writer');
  }

  /** mayFailOver, after learning the topology late when only the topology was missing. */
  private async mayFailOverLearning(kind: ErrorKind): Promise<boolean> {
    if (!this.triggers(kind) || this.failure !== undefined) return false;
    // Bounded as a whole (connect + query + close), like every query the plugin makes.
    await this.learning.run(undefined, () =>
      withTimeout(this.learnLate(), this.internalQueryBoundMs(), 'late topology read').catch(() => undefined),
    );
    return this.mayFailOver(kind);
  }

  /**
   * The call that found its connection lost: run (or join) the failover, then reject marked not
   * sent — or, on a reader (read-resend.ts), send it on the replacement.
   */
  private async recoverIdleLoss<T>(
    conn: PhysicalConnection,
    method: NetworkMethod,
    run: () => Promise<T>,
    next: ExecuteNext,
  ): Promise<T> {
    const cause =
      this.service.lossOf?.(conn) ??
      new UnavailableHostError(
        hostKey(conn.host),
        `The connection to ${hostKey(conn.host)} was lost while idle; the call was not sent.`,
      );
    const outcome = await this.errorFor(cause, conn, conn.inTransaction(), false, 'network');
    if (outcome.resend && mayResend(run)) return this.resend(method, run, next);
    throw outcome.error;
  }

  /** `conn` is on topology instance `host`; a reader's session is watched for retryReadsOnFailover. */
  private setKnown(conn: PhysicalConnection, host: HostInfo): void {
    this.known = { conn, host };
    armReadResend(this.service, this.mode, conn, host);
  }

  private instanceOf(conn: PhysicalConnection | undefined): HostInfo | undefined {
    return conn !== undefined && this.known?.conn === conn ? this.known.host : undefined;
  }

  /**
   * The error the failing call rejects with (the original one when failover does not apply),
   * and whether the call is to be sent again instead: rejected read-only, outside a
   * transaction, by an instance the role check confirmed is no longer the writer, now replaced.
   */
  private async errorFor(
    err: unknown,
    conn: PhysicalConnection | undefined,
    inTx: boolean,
    sent: boolean,
    knownKind?: ErrorKind,
    learnt = false,
    at: number | undefined = failedAt(this.service),
  ): Promise<Outcome> {
    const joined = this.inFlight.joinable(conn);
    const joinable = joined !== undefined;
    if (!joinable && conn !== undefined && this.replaced?.has(conn) === true) {
      // Sent on a connection an earlier failover replaced (and aborted): its fate is as unknown
      // as the call that started that failover, and the logical connection works again.
      const host = this.service.currentHost;
      if (host !== undefined && this.failure === undefined) {
        // Its error is the loss's (the failover aborted it), however the driver worded it: pg's
        // uncoded "not queryable" classifies as network only against the closed connection.
        const lost = knownKind === 'network' || conn.closed || this.service.classify(err) === 'network';
        const resend = lost && mayResendRead(this.service, conn, inTx, host);
        return { error: outcomeError(host, inTx, err, sent), resend };
      }
    }
    const kind = knownKind ?? this.service.classify(err);
    if (!this.mayFailOver(kind)) {
      // Only the topology may be missing: read it, then decide again from the state as it is
      // then (calls failing together must still join one failover; nothing here may await
      // between seeing no failover in flight and starting one).
      if (joinable || learnt || !(await this.mayFailOverLearning(kind))) return raw(err);
      return this.errorFor(err, conn, inTx, sent, kind, true, at);
    }
    if (this.failure !== undefined) return raw(this.unusable());
    let pending = joined;
    // Rejected read-only by an instance confirmed not the writer: it did not apply, and outside
    // a transaction nothing else is lost with the old session, so it is sent again after the
    // move. MySQL with autocommit off counts as inside one (its statements wait for a COMMIT
    // the old session took with it), whatever IN_TRANS said before this statement began one.
    let resend = false;
    if (pending === undefined && kind === 'read-only' && conn !== undefined) {
      // Not a network error: move only when the instance confirms it is no longer the writer.
      if (!(await this.roleCheck(conn))) return raw(err);
      inTx ||= conn.reportedSessionState?.().autocommit === false;
      resend = !inTx && sent;
      // Another call may have started (or finished) the failover while we asked.
      pending = this.inFlight.joinable(conn);
      if (pending === undefined && this.service.current !== conn) {
        const host = this.service.currentHost;
        return host !== undefined && this.failure === undefined
          ? { error: outcomeError(host, inTx, err, sent), resend }
          : raw(err);
      }
    }
    // Held alive while the failing call awaits it: a failover's pauses are unref'd timers.
    const trigger: FailoverTrigger = !sent ? 'idle-loss' : kind === 'read-only' ? 'read-only' : 'network';
    pending ??= this.inFlight.run(conn, () => keepAlive(this.failOver(conn, kind, err, inTx, trigger, at)));
    try {
      const result = await pending;
      // A read that failed with its reader goes again on the replacement reader (read-resend.ts).
      resend ||= kind === 'network' && mayResendRead(this.service, conn, inTx, result.host);
      return { error: outcomeError(result.host, inTx, err, sent), resend };
    } catch (e) {
      return raw(e);
    }
  }

  /** One "is it still the writer?" check per failing connection, shared by calls failing together. */
  private roleCheck(conn: PhysicalConnection): Promise<boolean> {
    return this.checking.run(conn, () =>
      confirmedNotWriter(this.service, conn, this.instanceOf(conn), this.internalQueryBoundMs()),
    );
  }

  /** The budget of a failover starting now (failoverTimeoutMs, cut short by release()). */
  private startBudget(): FailoverBudget {
    const released = (this.releasedCtl ??= new AbortController()).signal;
    return new FailoverBudget(this.service.config.options.failoverTimeoutMs, released);
  }

  /** A failover cut short by release() says so, whatever the step it was in reported. */
  private stoppedBy(budget: FailoverBudget, e: unknown, cause: unknown): unknown {
    if (
      budget.ended === 'released' &&
      !(e instanceof FailoverFailedError) &&
      !(e instanceof ConfigurationError)
    )
      return budget.stopError(cause);
    return e;
  }

  /**
   * One failover of the logical connection: find a replacement and switch to it, all within
   * failoverTimeoutMs from this moment (failover-budget.ts): the call settles by then even when
   * a step overruns; a replacement found later is closed, never switched to.
   */
  private failOver(
    failedConn: PhysicalConnection | undefined,
    kind: ErrorKind,
    cause: unknown,
    inTx: boolean,
    trigger: FailoverTrigger,
    at: number | undefined,
  ): Promise<FailoverResult> {
    const record = this.startRecord(trigger, this.instanceOf(failedConn) ?? this.service.currentHost, at);
    return this.recorded(
      record,
      inTx,
      () => this.runFailover(failedConn, kind, cause, inTx, record),
      failedConn,
    );
  }

  private async runFailover(
    failedConn: PhysicalConnection | undefined,
    kind: ErrorKind,
    cause: unknown,
    inTx: boolean,
    record: FailoverRecord | undefined,
  ): Promise<FailoverResult> {
    const s = this.service;
    const budget = this.startBudget();
    try {
      return await budget.settle(
        this.replace(budget, failedConn, kind, cause, inTx, record),
        () => undefined,
      );
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      const failed = this.asFailed(this.stoppedBy(budget, e, cause), cause);
      this.failure = failed;
      failedConn?.abort();
      s.notifyFailoverFailed?.(failedConn, failed);
      throw failed;
    } finally {
      budget.dispose();
    }
  }

  /** The steps of a failover, each bounded by what is left of `budget`. */
  private async replace(
    budget: FailoverBudget,
    failedConn: PhysicalConnection | undefined,
    kind: ErrorKind,
    cause: unknown,
    inTx: boolean,
    record: FailoverRecord | undefined,
  ): Promise<FailoverResult> {
    const s = this.service;
    if (failedConn !== undefined && (inTx || failedConn.inTransaction())) {
      record?.enter('rollback');
      await rollbackQuietly(failedConn, budget.deadline.cap(ROLLBACK_TIMEOUT_MS));
    }
    const result = await this.findReplacement(
      this.instanceOf(failedConn) ?? s.currentHost,
      kind,
      cause,
      budget,
      record,
    );
    try {
      s.setAvailability(availabilityKeys(result.host), 'available');
      await this.afterFound(result, budget.deadline);
      record?.enter('restore');
      // Restored last, so no internal query runs inside the user's session settings.
      await restoreSession(s, result.conn, failedConn, budget.deadline.cap(RESTORE_TIMEOUT_MS));
      // Past the deadline the caller has been answered already: never switch behind its back.
      if (budget.signal.aborted) throw budget.stopError(cause);
      await s.setCurrentConnection(result.conn, result.host);
      budget.commit();
    } catch (e) {
      // In the background: a graceful close of a slow socket must not hold the call.
      void closeQuietly(result.conn);
      throw e;
    }
    this.setKnown(result.conn, result.host);
    if (failedConn !== undefined) (this.replaced ??= new WeakSet()).add(failedConn);
    return result;
  }

  /** Run the plugin's search for `current`'s replacement, bounded by `budget`. */
  private async findReplacement(
    current: HostInfo | undefined,
    kind: ErrorKind,
    cause: unknown,
    budget: FailoverBudget,
    record: FailoverRecord | undefined,
  ): Promise<FailoverResult> {
    const s = this.service;
    record?.enter('search');
    const problem = hostPatternProblem(s, s.dialect);
    if (problem !== undefined) throw problem;
    const onWriter = this.mode === 'strict-writer' || current?.role === 'writer';
    const failedHost = topologyEntryFor(current, this.clusterHosts(), onWriter);
    if (failedHost !== undefined && kind === 'network')
      s.setAvailability(availabilityKeys(failedHost), 'unavailable');
    if (this.isReleased) throw new FailoverFailedError('the connection was ended', { cause });
    if (budget.signal.aborted) throw budget.stopError(cause);
    const ctx: FailoverContext = {
      service: s,
      mode: this.mode,
      failedHost,
      deadline: budget.deadline,
      signal: budget.signal,
      readerSelector: this.readerSelector,
      ...(record !== undefined ? { phase: (name: 'search' | 'reconnect') => record.enter(name) } : {}),
    };
    const result = await this.search(ctx);
    // What follows the search (v1's topology refresh through the new connection) is the reconnect's.
    record?.enter('reconnect');
    return result;
  }

  private asFailed(e: unknown, cause: unknown): FailoverFailedError | ConfigurationError {
    if (e instanceof FailoverFailedError || e instanceof ConfigurationError) return e;
    const detail = e instanceof Error ? e.message : String(e);
    const where =
      this.service.currentHost !== undefined ? ` (from ${hostKey(this.service.currentHost)})` : '';
    return new FailoverFailedError(
      `no ${this.mode === 'strict-writer' ? this.writerWord : 'instance'} could be reached within failoverTimeoutMs=${this.service.config.options.failoverTimeoutMs} ms${where}: ${detail}`,
      { cause },
    );
  }

  private unusable(): FailoverFailedError {
    return new FailoverFailedError(
      'an earlier failover failed; this connection cannot be used any more, open a new one',
      { cause: this.failure },
    );
  }
}
