/**
 * The failover v2 plugin (seed 003): the same triggers, modes and outcomes as v1 (seed 001:
 * FailoverSuccessError, TransactionResolutionUnknownError, FailoverFailedError), but the
 * new writer is found by the cluster's shared topology monitor (hosts/topology-monitor.ts)
 * instead of by each connection: a failing connection reports its writer, suspends until the
 * monitor verifies one, then reconnects to it (writer-reconnect.ts). Reader modes pick a
 * reader from the monitor's topology with v1's reader failover. Outcome errors, rollback,
 * session restore, the role check of read-only errors and reader choice are v1's modules.
 */
import type { FailoverMode } from '../../config/wrapper-options.js';
import { ConfigurationError, FailoverFailedError } from '../../core/errors.js';
import {
  NETWORK_METHODS,
  type ConnectNext,
  type ExecuteNext,
  type NetworkMethod,
  type Plugin,
  type PipelineMethod,
  type PluginService,
} from '../../core/plugin.js';
import type { ErrorKind, PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../hosts/host-info.js';
import type { TopologyMonitor } from '../../hosts/topology-monitor.js';
import { releaseMonitor } from '../../hosts/topology-monitors.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { readerSelection } from '../../selectors/reader-selection.js';
import type { FailoverContext, FailoverResult } from '../failover/failover-context.js';
import { availabilityKeys, topologyEntryFor } from '../failover/failover-hosts.js';
import { failoverModeOf } from '../failover/failover-mode.js';
import { outcomeError, rollbackQuietly, ROLLBACK_TIMEOUT_MS } from '../failover/failover-outcome.js';
import { Deadline, withTimeout } from '../failover/failover-timing.js';
import { hostPatternProblem } from '../failover/host-pattern-check.js';
import { closeQuietly } from '../failover/opened-connections.js';
import { sessionToRestore } from '../failover/failover-plugin.js';
import { readerFailover } from '../failover/reader-failover.js';
import { confirmedNotWriter } from '../failover/writer-role-check.js';
import { acquireClusterMonitor, monitorable } from './monitor-link.js';
import { reconnectToVerifiedWriter } from './writer-reconnect.js';

/** Bound on restoring the session state on the new connection. */
const RESTORE_TIMEOUT_MS = 2000;

const SUBSCRIBES: readonly PipelineMethod[] = ['connect', ...NETWORK_METHODS];

interface InFlight {
  readonly failed: PhysicalConnection | undefined;
  readonly done: Promise<FailoverResult>;
}

export class Failover2Plugin implements Plugin {
  readonly code = 'failover2';
  readonly subscribes = SUBSCRIBES;
  readonly mode: FailoverMode;
  private monitor: TopologyMonitor | undefined;
  private inFlight: InFlight | undefined;
  private replaced: WeakSet<PhysicalConnection> | undefined;
  private failure: FailoverFailedError | undefined;
  private releasedCtl: AbortController | undefined;
  private isReleased = false;
  /** Which topology instance the latest physical connection is on (a cluster endpoint hides it). */
  private known: { readonly conn: PhysicalConnection; readonly host: HostInfo } | undefined;
  private checking: { readonly conn: PhysicalConnection; readonly result: Promise<boolean> } | undefined;
  private readonly readerSelector: HostSelector | undefined;

  constructor(private readonly service: PluginService) {
    const options = service.config.options;
    this.mode = failoverModeOf(options, service.initialUrlType);
    // The shared selectors, with the same per-cluster state as v1 and initialConnection.
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
      // Nothing is connected: an earlier connection of this cluster must have taught the
      // process its dialect and started the monitor.
      this.service.adoptKnownDialect?.();
      this.attachMonitor();
      if (!this.mayFailOver('network')) throw err;
      const result = await this.findReplacement(undefined, 'network', err).catch((e: unknown) => {
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
    return conn;
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
    return call.catch(async (err: unknown) => {
      const inTx =
        inTxBefore || (conn !== undefined && this.service.current === conn && conn.inTransaction());
      throw await this.errorFor(err, conn, inTx);
    });
  }

  async release(): Promise<void> {
    this.isReleased = true;
    this.releasedCtl?.abort();
    readerSelection(this.service).release();
    const m = this.monitor;
    this.monitor = undefined;
    if (m !== undefined) releaseMonitor(m);
  }

  /** Join the cluster's monitor once the dialect is known (no-op when failover cannot apply). */
  private attachMonitor(): TopologyMonitor | undefined {
    const s = this.service;
    if (this.monitor !== undefined || this.isReleased) return this.monitor;
    if (!s.config.options.enableFailover || !monitorable(s.dialect)) return undefined;
    this.monitor = acquireClusterMonitor(s, s.dialect);
    if (s.dialect.topologyAware) this.monitor.shareWith(s.hostListProvider.clusterId);
    return this.monitor;
  }

  /**
   * The monitor needs a topology before anything fails: the first connection of a cluster
   * reads it once through its new connection; later ones find it known. A connection to a
   * cluster endpoint asks which instance it is on. Failures here only mean failover does not
   * apply yet.
   */
  private async learnTopology(conn: PhysicalConnection): Promise<void> {
    const monitor = this.attachMonitor();
    const dialect = this.service.dialect;
    if (monitor === undefined || dialect === undefined) return;
    try {
      await monitor.seed(conn);
      const key = hostKey(conn.host);
      let instance = monitor.hosts().find((h) => hostKey(h) === key);
      if (instance === undefined && dialect.topologyAware) {
        const id = await withTimeout(dialect.instanceId(conn), RESTORE_TIMEOUT_MS, 'instance id');
        instance = monitor.hosts().find((h) => h.instanceId !== undefined && h.instanceId === id);
      }
      if (instance !== undefined) this.known = { conn, host: instance };
    } catch {
      // Unknown instance: failover then treats the connection as being on the writer.
    }
  }

  private instanceOf(conn: PhysicalConnection | undefined): HostInfo | undefined {
    return conn !== undefined && this.known?.conn === conn ? this.known.host : undefined;
  }

  private async errorFor(
    err: unknown,
    conn: PhysicalConnection | undefined,
    inTx: boolean,
  ): Promise<unknown> {
    const joinable = this.inFlight !== undefined && this.inFlight.failed === conn;
    if (!joinable && conn !== undefined && this.replaced?.has(conn) === true) {
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

  /** One "is it still the writer?" check per failing connection, shared by calls failing together. */
  private roleCheck(conn: PhysicalConnection): Promise<boolean> {
    const running = this.checking;
    if (running !== undefined && running.conn === conn) return running.result;
    const o = this.service.config.options;
    const result = confirmedNotWriter(
      this.service,
      conn,
      this.instanceOf(conn),
      Math.min(o.failoverReaderConnectTimeoutMs, o.failoverTimeoutMs),
    );
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

  private mayFailOver(kind: ErrorKind): boolean {
    const s = this.service;
    if (!s.config.options.enableFailover || s.closing || s.initialUrlType === 'proxy') return false;
    if (kind !== 'network' && !(kind === 'read-only' && this.mode === 'strict-writer')) return false;
    const monitor = this.monitor;
    if (monitor === undefined) return false;
    return monitor.hosts().length > 0 || s.hosts().length > 0;
  }

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
      const result = await this.findReplacement(this.instanceOf(failedConn) ?? s.currentHost, kind, cause);
      try {
        if (s.config.options.keepSessionStateOnFailover) {
          await withTimeout(
            s.driver.restoreSessionState(result.conn, sessionToRestore(s.sessionState(), failedConn)),
            RESTORE_TIMEOUT_MS,
            'restoring session state',
          );
        }
        s.setAvailability(availabilityKeys(result.host), 'available');
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

  /** Writer: through the monitor. Readers: v1's reader failover over the monitor's topology. */
  private async findReplacement(
    current: HostInfo | undefined,
    kind: ErrorKind,
    cause: unknown,
  ): Promise<FailoverResult> {
    const s = this.service;
    const monitor = this.monitor;
    const problem = hostPatternProblem(s, s.dialect);
    if (problem !== undefined) throw problem;
    if (monitor === undefined) throw new FailoverFailedError('the cluster topology is unknown', { cause });
    const options = s.config.options;
    const hosts = monitor.hosts().length > 0 ? monitor.hosts() : s.hosts();
    const onWriter = this.mode === 'strict-writer' || current?.role === 'writer';
    const failedHost = topologyEntryFor(current, hosts, onWriter);
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
      if (this.mode === 'strict-writer') return await reconnectToVerifiedWriter(ctx, monitor);
      if (failedHost?.role === 'writer') monitor.reportFailure(failedHost);
      return await readerFailover(ctx);
    } catch (e) {
      if (released.aborted)
        throw new FailoverFailedError('the connection was ended during failover', { cause });
      throw e;
    } finally {
      clearTimeout(timer);
      released.removeEventListener('abort', onRelease);
    }
  }

  private asFailed(e: unknown, cause: unknown): FailoverFailedError | ConfigurationError {
    if (e instanceof FailoverFailedError || e instanceof ConfigurationError) return e;
    const detail = e instanceof Error ? e.message : String(e);
    const where =
      this.service.currentHost !== undefined ? ` (from ${hostKey(this.service.currentHost)})` : '';
    return new FailoverFailedError(
      `no ${this.mode === 'strict-writer' ? 'verified writer' : 'instance'} could be reached within failoverTimeoutMs=${this.service.config.options.failoverTimeoutMs} ms${where}: ${detail}`,
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
