/**
 * `Client` of `aurora-ha/pg`: pg's Client over a logical connection. Every query goes through
 * the `query` pipeline and is run by the native pg.Client of the current physical connection,
 * so results and errors are pg's own. With no plugin subscribed to `query` the native client
 * is called directly. Submittables (pg-cursor, pg-query-stream, pg.Query) go straight to the
 * native client. The rest of pg's Client surface is delegated (see delegate-members.ts): before
 * connect to an unconnected pg.Client built from the same config, then to the current native.
 */
import { poolCountsOf } from '../pooled.js';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type {
  ClientConfig,
  QueryArrayConfig,
  QueryArrayResult,
  QueryConfig,
  QueryResult,
  QueryResultRow,
  Query as PgQuery,
} from 'pg';
import { resolveConfig } from '../../config/parse-config.js';
import type { WrapperOptions } from '../../core/wrapper-options.js';
import { ConnectionClosedError } from '../../core/errors.js';
import { resolvePluginFactories } from '../../plugins/registry.js';
import { LogicalConnection } from '../../connection/logical-connection.js';
import type { PluginFactory } from '../../connection/plugin.js';
import { pgAdapter } from '../../drivers/pg/pg-adapter.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { copyHiddenProperties } from '../../drivers/pg/pg-config.js';
import { PgPhysicalConnection } from '../../drivers/pg/pg-physical-connection.js';
import { assertPgSupported } from '../../drivers/pg/pg-driver-support.js';
import { pgBusy } from '../../drivers/pg/internals.js';
import { failedEvent, movedEvent } from '../../connection/failover-event.js';
import { installDelegates } from './delegate-members.js';
import { ConnectionListeners } from './connection-listeners.js';
import { PreConnectGate } from './pre-connect-gate.js';
import { forwardDrainOf, forwardEvents, stopForwardingDrain, stopForwardingEvents } from './native-events.js';
import { isSubmittable, leftConnectionMoved, markNeverSent, opensTransactionOnly } from './dispatch-rules.js';
import type { Submittable } from './dispatch-rules.js';
import { endingForPool, idleLossRecovered, lostWhileIdle, queryableForPool } from './pool-hooks.js';
import { queryOnce } from './query-once.js';
import { noteStatement } from '../../connection/session-statements.js';

export type AuroraClientConfig = ClientConfig & WrapperOptions & { Promise?: PromiseConstructorLike };

export type { Submittable } from './dispatch-rules.js';

/** EventEmitter's listener methods' parameters. */
type EventName = Parameters<EventEmitter['on']>[0];
type Listener = Parameters<EventEmitter['on']>[1];

type QueryCallback<R extends QueryResultRow> = (err: Error | null, result?: QueryResult<R>) => void;

/** pg's message for a query on an ended client (some callers match on it). */
const CLOSED_MESSAGE = 'Client was closed and is not queryable';

/**
 * pg's TypeOverrides (exported by the pg module since 8.15.5, not typed as a value by @types/pg).
 * Undefined in an older pg: the constructor's assertPgSupported() throws before it is used.
 */
interface TypeOverridesLike {
  setTypeParser(oid: number, format: unknown, parse?: unknown): void;
  getTypeParser(oid: number, format?: unknown): unknown;
}
const TypeOverrides = (pg as unknown as { TypeOverrides: new (types?: unknown) => TypeOverridesLike })
  .TypeOverrides;

/**
 * Re-issue LISTEN for each channel on a new session (notifications sent during the move are
 * lost: the `'failover'` event tells the application to resynchronise). Errors are ignored.
 */
function relisten(native: pg.Client, channels: readonly string[]): void {
  for (const channel of channels) {
    native.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
  }
}

/** Emit without letting a throwing listener break the failover that is reporting. */
function emitQuietly(emitter: EventEmitter, event: string, payload: unknown): void {
  try {
    emitter.emit(event, payload);
  } catch {
    // the listener's own failure
  }
}

/** True when the config names no host at all (pg then takes PGHOST / pg.defaults). */
function namesNoHost(config: Record<string, unknown>): boolean {
  return (
    config.host === undefined &&
    config.connectionString === undefined &&
    config.hosts === undefined &&
    config.clusterEndpoint === undefined
  );
}

// The interface below types the members installed by delegation (declaration merging is the point).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Client extends EventEmitter {
  /** pg's Query, as `pg.Client.Query`. */
  static readonly Query: typeof PgQuery = pg.Query;

  readonly #lc: LogicalConnection<pg.Client>;
  /** True when no plugin subscribes to `query`: calls go straight to the native client. */
  readonly #bare: boolean;
  /**
   * Before connect: an unconnected pg.Client with the same config (pg's members before connect;
   * its Connection object carries the first session). Then the latest native client, so the
   * template is not kept alive next to it and members still answer after end().
   */
  #template: pg.Client;
  /** Type parsers set on this Client; every native client falls back to them. */
  readonly #types: TypeOverridesLike;
  readonly #Promise: PromiseConstructorLike | undefined;
  #endEmitted = false;
  readonly #gate = new PreConnectGate();
  #userEnded = false;
  /** Calls through the pipeline not yet settled, and what waits for them to be done. */
  #inflight = 0;
  /** The native client drained while calls through the pipeline were settling. */
  #drainPending = false;
  /**
   * pg drained while a call through the pipeline was still settling and nobody listened for
   * 'drain': the caller's callback, which runs later than pg would run it, may be what adds the
   * listener (node-postgres' own error-handling test does).
   */
  #drainUnheard = false;
  /**
   * pg's 'drain' of the current native client is subscribed: only while this Client has a
   * 'drain' listener (added with the listener, dropped at the first drain nobody hears). pg
   * emits 'drain' after every query, and Node's emit with a listener costs its slow path
   * (ReflectApply) each time; without one, the drains a call through the pipeline misses are
   * noted when it settles (#settled).
   */
  #drainForwarded = false;
  readonly #whenIdle: (() => void)[] = [];
  /** Calls made before connect() finished, not yet handed to the driver. */
  #undispatched = 0;
  readonly #whenDispatched: (() => void)[] = [];
  /** Set by the pool when it hands the client out; cleared by the next call. */
  #firstAfterCheckout = false;
  /** The application's listeners on `client.connection`, following the session. */
  readonly #connectionListeners: ConnectionListeners;

  /**
   * @param config pg's ClientConfig (or a connection string) plus aurora-ha's options.
   * @param factories for tests and embedding: the plugin factories to use instead of `plugins`.
   */
  constructor(config?: string | AuroraClientConfig, factories?: readonly PluginFactory[]) {
    super();
    assertPgSupported();
    const input: Record<string, unknown> | string =
      typeof config === 'string' ? config : ((config ?? {}) as Record<string, unknown>);
    this.#template = new pg.Client(config);
    const source: Record<string, unknown> | string =
      typeof input === 'string'
        ? input
        : namesNoHost(input)
          ? { ...input, host: this.#template.host, port: this.#template.port }
          : input;
    const resolved = resolveConfig('postgres', source);
    if (typeof input !== 'string') copyHiddenProperties(input, resolved.driverConfig);
    const userTypes = typeof input === 'string' ? undefined : input.types;
    this.#types = new TypeOverrides(userTypes);
    resolved.driverConfig.types = this.#types;
    const customPromise = typeof input === 'string' ? undefined : input.Promise;
    this.#Promise =
      typeof customPromise === 'function' && customPromise !== Promise
        ? (customPromise as PromiseConstructorLike)
        : undefined;
    this.#connectionListeners = new ConnectionListeners(
      this.#template,
      resolved.driverConfig,
      typeof input === 'string' || (input.stream === undefined && input.connection === undefined),
    );
    const lc = new LogicalConnection<pg.Client>(
      resolved,
      pgAdapter,
      factories ?? resolvePluginFactories(resolved.options.plugins),
    );
    this.#lc = lc;
    const poolCounts = poolCountsOf(input);
    if (poolCounts !== undefined) {
      lc.service.purpose = 'pool';
      lc.service.connectionCounts = poolCounts;
    }
    this.#bare = lc.pipelineFor('query') === undefined;
    lc.observe(this);
  }

  /** @internal The pg.Client that delegated members act on: the current native one, or the template. */
  static delegateTarget(c: Client): pg.Client {
    return c.#lc.current?.native ?? c.#template;
  }

  /** The pg.Client currently in use (changes after a failover); undefined when not connected. */
  get nativeClient(): pg.Client | undefined {
    return this.#lc.current?.native;
  }

  get host(): string | undefined {
    return this.#lc.service.currentHost?.host ?? this.#lc.service.initialHost.host;
  }

  get port(): number | undefined {
    return this.#lc.service.currentHost?.port ?? this.#lc.service.initialHost.port;
  }

  /** pg-pool reads it when a client is released (pool-hooks.ts). */
  get _ending(): boolean {
    return endingForPool(this.#lc, this.#userEnded);
  }

  /** pg-pool reads it when a client is released (pool-hooks.ts). */
  get _queryable(): boolean {
    return queryableForPool(this.#lc);
  }

  /**
   * @internal The pool handed the client out: when its first call is a lone BEGIN / START
   * TRANSACTION and the connection moves while it runs, it is run again on the new connection
   * (nothing but the transaction's start is lost; the session state of a pooled client was
   * lost with the move either way, and `'failover'` reports the move).
   */
  _checkedOut(): void {
    this.#firstAfterCheckout = true;
  }

  /** @internal For the pool: lost while idle, moved on the next call (pool-hooks.ts). */
  get _lostWhileIdle(): boolean {
    return lostWhileIdle(this.#lc, this.#userEnded);
  }

  /** @internal For the pool: its reader lags past maxReplicaLagMs, move before handing it out (docs/read-scaling.md). */
  get _wantsToMove(): boolean {
    return !this.#userEnded && this.#lc.wantsToMove();
  }

  /** @internal Move it now (see _wantsToMove); never rejects. */
  _moveNow(): Promise<boolean> {
    return this.#lc.moveNow();
  }

  /**
   * @internal For the pool, when it hands out a client lost while idle: move it now, as its
   * next call would (the probe cannot reach a server: the connection is already dead), so the
   * application's first statement after checkout runs on the new connection. Resolves at once
   * when nothing was lost; rejects with the failover's outcome when the move failed.
   */
  recoverIdleLoss(): Promise<void> {
    if (!this._lostWhileIdle) return Promise.resolve();
    return idleLossRecovered(this.#track(this.#runQuery('SELECT 1', undefined)));
  }

  /**
   * readWriteSplitting: route this client to a reader (`true`) or back to the writer (`false`),
   * docs/read-scaling.md › setReadOnly. Rejects with a ReadWriteSplittingError.
   */
  setReadOnly(readOnly: boolean): Promise<void> {
    return this.#wrap(this.#lc.setReadOnly(readOnly));
  }

  /** readWriteSplitting: true while in read-only mode. */
  get readOnly(): boolean {
    return this.#lc.isReadOnly();
  }

  setTypeParser(oid: number, format: unknown, parse?: unknown): void {
    this.#types.setTypeParser(oid, format, parse);
  }

  getTypeParser(oid: number, format?: unknown): unknown {
    return this.#types.getTypeParser(oid, format);
  }

  /** Convert to the `Promise` given in the config (pg's option), when one was. */
  #wrap<T>(p: Promise<T>): Promise<T> {
    const P = this.#Promise;
    if (P === undefined) return p;
    return new P<T>((resolve, reject) => {
      p.then(resolve, reject);
    }) as Promise<T>;
  }

  #closedError(): ConnectionClosedError {
    return new ConnectionClosedError(CLOSED_MESSAGE);
  }

  /** Resolves once connect() was called (now when it already was); rejects if end() comes first. */
  #afterConnectCalled(): Promise<void> {
    return this.#gate.afterConnectCalled();
  }

  connect(): Promise<this>;
  connect(callback: (err: Error | null, client?: this) => void): void;
  connect(callback?: (err: Error | null, client?: this) => void): Promise<this> | void {
    let p: Promise<this>;
    if (this.#gate.called) {
      p = Promise.reject(new Error('Client has already been connected. You cannot reuse a client.'));
    } else {
      this.#gate.markCalled();
      p = this.#lc.open().then(() => {
        this.emit('connect');
        return this;
      });
      this.#gate.open();
    }
    if (callback === undefined) return this.#wrap(p);
    p.then(
      (c) => callback(null, c),
      (err: unknown) => callback(err as Error),
    );
  }

  query<T extends Submittable>(submittable: T, callback?: (err: Error | null, result?: unknown) => void): T;
  query<R extends unknown[] = unknown[]>(
    config: QueryArrayConfig,
    values?: unknown[],
  ): Promise<QueryArrayResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    callback: QueryCallback<R>,
  ): void;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    values: unknown[] | undefined,
    callback: QueryCallback<R>,
  ): void;
  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (config === null || config === undefined) {
      throw new TypeError('Client was passed a null or undefined query');
    }
    const firstAfterCheckout = this.#firstAfterCheckout;
    this.#firstAfterCheckout = false;
    if (isSubmittable(config)) return this.#submit(config, typeof values === 'function' ? values : callback);
    let cb = callback;
    let vals = values;
    if (typeof values === 'function') {
      cb = values;
      vals = undefined;
    }
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError('callback is not a function');
    const lc = this.#lc;
    const conn = lc.current;
    const direct = !this.#userEnded && this.#bare && conn !== undefined && !lc.closing;
    if (direct && typeof cb === 'function') {
      // pg calls a callback synchronously on ReadyForQuery, before it parses what follows
      // (an error, 'drain'): hand it over so the order stays pg's.
      (conn.native.query as (c: unknown, v: unknown, cb: unknown) => void)(config, vals, cb);
      return undefined;
    }
    let p: Promise<QueryResult>;
    if (this.#userEnded) {
      p = Promise.reject(this.#closedError());
    } else if (direct) {
      p = conn.native.query(config as QueryConfig, vals as unknown[]);
    } else if (firstAfterCheckout && opensTransactionOnly(config)) {
      // A transaction that only began changed nothing: after a move, begin it on the new
      // connection (ORMs such as Drizzle leak the pooled client when BEGIN rejects).
      const retried = this.#runQuery(config, vals).catch((err: unknown) =>
        leftConnectionMoved(err) ? this.#runQuery(config, vals) : Promise.reject(err),
      );
      if (typeof cb !== 'function') return this.#wrap(this.#trackWithCallerStack(retried));
      this.#trackToCallback(retried, cb as QueryCallback<QueryResultRow>);
      return undefined;
    } else if (typeof cb !== 'function') {
      return this.#wrap(this.#trackWithCallerStack(this.#runQuery(config, vals)));
    } else {
      this.#trackToCallback(this.#runQuery(config, vals), cb as QueryCallback<QueryResultRow>);
      return undefined;
    }
    if (typeof cb !== 'function') return this.#wrap(p);
    const done = cb as QueryCallback<QueryResultRow>;
    p.then(
      (r) => done(null, r),
      (err: unknown) => done(err as Error),
    );
    return undefined;
  }

  /**
   * Count a call that goes through the pipeline until it settles: end() lets calls made before
   * it reach the driver first (as pg does), and a socket error is reported after them.
   */
  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight++;
    const settle = (): void => this.#settled();
    p.then(settle, settle);
    return p;
  }

  /**
   * #track, then `done` called with the outcome: one reaction instead of two (the count is
   * settled first, as with #track's reaction registered before the caller's).
   */
  #trackToCallback(p: Promise<QueryResult>, done: QueryCallback<QueryResultRow>): void {
    this.#inflight++;
    p.then(
      (r) => {
        this.#settled();
        done(null, r);
      },
      (err: unknown) => {
        this.#settled();
        done(err as Error);
      },
    );
  }

  /** A call through the pipeline settled: with none left, what waits for that runs. */
  #settled(): void {
    if (--this.#inflight !== 0) return;
    // pg's 'drain' is not forwarded while nobody listens: pg idle now means it drained while
    // this call was settling, which nativeDrain would have noted (see #drainUnheard).
    if (!this.#drainForwarded && !this.#bare) {
      const n = this.nativeClient;
      if (n !== undefined && !pgBusy(n)) this.#drainUnheard = true;
    }
    this.#idle();
  }

  /**
   * #track and, as pg does for its promises, an error's stack leading back to the application's
   * awaits (V8's async stack traces follow this `await`, not the pipeline's promise chains).
   * One async frame instead of a tracking reaction plus a separate stack wrapper: this is the
   * hot path of every `await client.query()` through plugins.
   */
  async #trackWithCallerStack<T>(p: Promise<T>): Promise<T> {
    this.#inflight++;
    try {
      return await p;
    } catch (err) {
      if (err instanceof Error) Error.captureStackTrace(err);
      throw err;
    } finally {
      this.#settled();
    }
  }

  /** Nothing in flight: run what waited for that (a deferred 'error', an end()). */
  #idle(): void {
    // Nothing waits (the usual case, once per call): no event-loop turn to schedule. Whatever
    // is queued later either finds calls in flight (their settling calls #idle again) or none
    // (nativeDrain calls #idle itself; #afterInflight runs at once).
    if (this.#whenIdle.length === 0 && !this.#drainPending) return;
    // After the callers' own handlers of the settled calls (registered after ours) have run.
    setImmediate(() => {
      if (this.#inflight > 0) return; // a new call started meanwhile: wait for it too
      const waiting = this.#whenIdle.splice(0);
      for (const fn of waiting) fn();
      // pg's 'drain' (the native queue ran empty) comes before the callers of a call through
      // the pipeline hear their results: it is passed on once they have.
      if (this.#drainPending) {
        this.#drainPending = false;
        // Not when pg's queue filled again meanwhile (a submittable sent since): its own drain follows.
        const n = this.nativeClient;
        if (n === undefined || !pgBusy(n)) this.emit('drain');
      }
    });
  }

  /** Run `fn` once every call made before connect finished has been handed to the driver. */
  #afterInflightDispatch(fn: () => void): void {
    if (this.#undispatched === 0) fn();
    else this.#whenDispatched.push(fn);
  }

  #afterInflight(fn: () => void): void {
    if (this.#inflight === 0) fn();
    else this.#whenIdle.push(fn);
  }

  #runQuery(config: unknown, values: unknown): Promise<QueryResult> {
    const lc = this.#lc;
    const run = (): Promise<QueryResult> => {
      const native = lc.native();
      // A reader's session watched for retryReadsOnFailover (one property read otherwise).
      if (lc.current!.watchSession === true) noteStatement(lc.current, config);
      return queryOnce(native, config, values);
    };
    if (lc.current === undefined && !lc.closing) {
      this.#undispatched++;
      const dispatched = (): void => {
        if (--this.#undispatched === 0) for (const fn of this.#whenDispatched.splice(0)) fn();
      };
      return this.#afterConnectCalled()
        .then(() => lc.ready())
        .then(
          () => {
            const p =
              this.#userEnded && lc.closing ? Promise.reject(this.#closedError()) : lc.execute('query', run);
            dispatched();
            return p;
          },
          (err: unknown) => {
            dispatched();
            throw err;
          },
        );
    }
    if (lc.closing && this.#userEnded) return Promise.reject(this.#closedError());
    // A connection already dead when the call is made cannot have sent it (pg rejects at once):
    // a failover outcome for it says so, which lets pool.query() retry it (ARCHITECTURE.md › Idle loss).
    const deadBefore = lc.current?.closed === true;
    const p = lc.execute('query', run);
    return deadBefore ? p.catch(markNeverSent) : p;
  }

  #submit<T extends Submittable>(submittable: T, callback: unknown): T {
    const s = submittable as T & { callback?: unknown; handleError?: (e: unknown, c?: unknown) => void };
    if (s.callback === undefined && typeof callback === 'function') s.callback = callback;
    const lc = this.#lc;
    const fail = (err: unknown): void => {
      if (typeof s.handleError === 'function') s.handleError(err, undefined);
    };
    if (this.#userEnded) {
      process.nextTick(fail, this.#closedError());
      return submittable;
    }
    if (lc.current !== undefined && !lc.closing) {
      lc.native().query(submittable as never);
      return submittable;
    }
    this.#afterConnectCalled()
      .then(() => lc.ready())
      .then(() => lc.native().query(submittable as never), fail);
    return submittable;
  }

  end(): Promise<void>;
  end(callback: (err?: Error) => void): void;
  end(callback?: (err?: Error) => void): Promise<void> | void {
    this.#userEnded = true;
    // Not counted on its reader any more (a pool replacing it must not see it): now, not after the drain.
    this.#lc.announceEnd();
    let p: Promise<void>;
    if (!this.#gate.called) {
      // As pg: ending a client never connected is a no-op (it may still connect later).
      this.#gate.cancel(this.#closedError());
      p = Promise.resolve();
    } else {
      // With nothing left to hand over, pg's own end() runs now, as in pg: a dead socket or an
      // active query's is destroyed at once (before unflushed writes reach the server), and
      // the closing socket is not reported as an unexpected termination.
      const native = this.nativeClient;
      if (native !== undefined && this.#undispatched === 0) native.end().catch(() => undefined);
      // Calls made before end() are handed to the driver first (pg runs them before closing).
      p = new Promise<void>((resolve) => this.#afterInflightDispatch(resolve))
        .then(() => this.#lc.end())
        .then(() => this.#emitEnd());
    }
    if (callback === undefined) return this.#wrap(p);
    p.then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  escapeIdentifier(str: string): string {
    return pg.escapeIdentifier(str);
  }

  escapeLiteral(str: string): string {
    return pg.escapeLiteral(str);
  }

  #emitEnd(): void {
    if (this.#endEmitted) return;
    this.#endEmitted = true;
    this.emit('end');
  }

  /**
   * @internal The native client reported a dead socket. A loss some plugin recovers from on the
   * next call is not an `'error'` (pools discard clients on `'error'`, ARCHITECTURE.md › Idle loss); otherwise it
   * is pg's `'error'` event, delivered only when someone listens (never a crash).
   */
  nativeError(err: Error): void {
    if (this.#lc.recoversFromLoss()) return;
    // After the calls in flight settle: pg would have called their callbacks first (they
    // completed before the socket broke, or fail with this same loss).
    this.#afterInflight(() => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  /**
   * @internal The native client's queue ran empty (pg's 'drain', heard only while this Client
   * has a 'drain' listener: #drainForwarded); see #idle for the plugin case.
   */
  nativeDrain(native: pg.Client): void {
    // As pg's own 'drain': heard by the listeners there are when pg emits it (deferring it
    // for nobody would cost an event-loop turn per call).
    if (this.listenerCount('drain') === 0) {
      // The last listener went: stop hearing pg's drains until one is added again.
      stopForwardingDrain(native);
      this.#drainForwarded = false;
      if (!this.#bare && this.#inflight > 0) this.#drainUnheard = true;
      return;
    }
    if (this.#bare) {
      this.emit('drain');
      return;
    }
    this.#drainPending = true;
    if (this.#inflight === 0) this.#idle();
  }

  // Named parameters, not `...args`: pg-pool adds and removes an 'error' listener per
  // pool.query(), and a rest-and-spread forward costs an array and a varargs call each time.
  override on(eventName: EventName, listener: Listener): this {
    if (eventName === 'drain') this.#drainListenerAdded();
    return super.on(eventName, listener);
  }

  override addListener(eventName: EventName, listener: Listener): this {
    if (eventName === 'drain') this.#drainListenerAdded();
    return super.addListener(eventName, listener);
  }

  override prependListener(eventName: EventName, listener: Listener): this {
    if (eventName === 'drain') this.#drainListenerAdded();
    return super.prependListener(eventName, listener);
  }

  /**
   * A 'drain' listener added after pg drained unheard, while idle: it hears that drain on the
   * next turn, as it would have with pg calling the settled call's callback first. (`once` and
   * `prependOnceListener` go through `on` / `prependListener`.) When pg or the pipeline is busy,
   * the drain that follows is heard as usual.
   */
  #drainListenerAdded(): void {
    if (!this.#drainForwarded) {
      const n = this.nativeClient;
      // Before connect: connectionChanged subscribes once the native client is there.
      if (n !== undefined) {
        forwardDrainOf(n);
        this.#drainForwarded = true;
      }
    }
    if (!this.#drainUnheard) return;
    this.#drainUnheard = false;
    setImmediate(() => {
      const n = this.nativeClient;
      if (this.#inflight === 0 && n !== undefined && !pgBusy(n)) this.emit('drain');
    }).unref();
  }

  /** @internal The physical connection ended without end(): with no plugin to replace it, the Client is over. */
  physicalEnded(): void {
    const lc = this.#lc;
    if (lc.closing || !this.#bare) return;
    void lc.end().then(() => this.#emitEnd());
  }

  /** @internal Move event forwarding to the new physical connection. */
  connectionChanged(
    conn: PhysicalConnection,
    previous: PhysicalConnection | undefined,
    switched = false,
  ): void {
    const prev = previous?.native as pg.Client | undefined;
    if (prev !== undefined) stopForwardingEvents(prev);
    const next = conn.native as pg.Client;
    this.#connectionListeners.follow(prev, next);
    this.#template = next;
    forwardEvents(next, this);
    this.#drainForwarded = this.listenerCount('drain') > 0;
    if (this.#drainForwarded) forwardDrainOf(next);
    // A read/write switch (setReadOnly) is no failover: the other session stays as it was.
    if (previous !== undefined && !switched) {
      // Queued before any later call of the user: the new session listens on the same channels.
      if (previous instanceof PgPhysicalConnection) relisten(next, previous.listeningChannels());
      emitQuietly(this, 'failover', movedEvent(conn, previous));
    }
  }

  /** @internal A failover failed: the Client is unusable from now on. */
  failoverFailed(from: PhysicalConnection | undefined, error: Error): void {
    emitQuietly(this, 'failover', failedEvent(from, error));
  }
}

installDelegates(
  Client,
  pg.Client,
  new pg.Client(),
  (self) => Client.delegateTarget(self as Client) as unknown as Record<string, unknown>,
);

/** pg.Client members reached by delegation (typed here; installed by installDelegates). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Client {
  readonly connection: pg.Connection;
  readonly processID: number | null;
  readonly secretKey: number | null;
  user: string | undefined;
  database: string | undefined;
  password: string | undefined;
  ssl: boolean | object;
  getTransactionStatus(): 'I' | 'T' | 'E' | null;
  ref(): void;
  unref(): void;
}
