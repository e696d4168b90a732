/**
 * The callback-style connection of `aurora-ha/mysql2` (`createConnection(config)`): same
 * methods and events as mysql2's Connection. It connects at once, like mysql2; calls made
 * before the handshake finished wait for it. Every network method goes through its pipeline
 * and is run by mysql2's own connection, so results and errors are mysql2's. With no plugin
 * subscribed to a method, mysql2 is called directly.
 */
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { PluginFactory, NetworkMethod } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type {
  AuroraConnectionOptions,
  MysqlLogical,
  NativeCallback,
  NativeMysqlConnection,
} from './mysql2-native.js';
import {
  createMysqlLogical,
  emitFailover,
  followChangeUser,
  moveNativeEvents,
  nothingRecovers,
  runOnNative,
} from './mysql2-native.js';
import { failedEvent, movedEvent } from '../../connection/failover-event.js';
import {
  ConnectionClosedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../core/errors.js';
import { LateCommand, isNativeCommand } from './query-command.js';
import type { NativeCommand } from './query-command.js';
import { MysqlPromiseConnection } from './mysql2-promise-classes.js';
import { delegateNativeMembers } from './delegate-members.js';
import { PreparedStatement, prepareOptions } from './prepared-statement.js';
import type { NativeStatement } from './prepared-statement.js';
import { holdErrors } from './held-errors.js';
import type { HeldEvents } from './held-errors.js';

type Callback = (err: Error | null, ...results: unknown[]) => void;

/** Called with aurora-ha's error when a call was rejected before it reached any server. */
export type NotSentHook = (err: Error) => void;

/** Our failover error saying the statement never reached a server (ARCHITECTURE.md › Idle loss). */
export function isNotSent(err: unknown): err is Error {
  return (
    (err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError) &&
    err.statementSent === false
  );
}

/** A command that never reached mysql2 fails as mysql2 fails one: `'error'` (when heard), then `'end'`. */
function failCommand(cmd: NativeCommand, err: unknown): void {
  if (cmd instanceof LateCommand) {
    cmd.fail(err);
    return;
  }
  if (cmd.listenerCount('error') > 0) cmd.emit('error', err);
  cmd.emit('end');
}

/** Callback of query/execute: mysql2 passes the result and the field packets. */
export type QueryCallback<T = unknown> = (err: Error | null, result?: T, fields?: unknown) => void;

const STATE = Symbol('aurora-ha.mysql2.connection');

interface ConnectionState {
  readonly logical: MysqlLogical;
  endEmitted: boolean;
  closeCalled?: boolean;
  pendingConfig?: Record<string, unknown>;
  /** The last mysql2 connection used (kept after it closed, as mysql2's state is read from it). */
  lastNative?: NativeMysqlConnection;
  /** Our handle of each mysql2 prepared statement (mysql2 hands out its cached one again). */
  handles?: WeakMap<NativeStatement, PreparedStatement>;
}

/** What pools and prepared statement handles add to a statement call. */
interface StatementExtras {
  /** Pools: called instead of the callback when aurora-ha rejected the call before it reached a server. */
  notSent?: NotSentHook;
  /** Pools: called once the call is over, before the callback. */
  settled?: (err?: unknown) => void;
  /** A prepared statement handle's execute(). */
  prepared?: PreparedStatement;
}

/** Promise of a native callback call, resolving to its result list. */
function callNative(invoke: (cb: NativeCallback) => unknown): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    invoke((err, ...results) => (err ? reject(err) : resolve(results)));
  });
}

export class Connection extends EventEmitter {
  private readonly [STATE]: ConnectionState;

  /**
   * @param factories for tests and embedding: the plugin factories to use instead of `plugins`.
   * @param purpose internal: `pool` for a pool's connection (published on `aurora-ha:connect`).
   */
  constructor(
    config: string | AuroraConnectionOptions,
    factories?: readonly PluginFactory[],
    purpose: 'user' | 'pool' = 'user',
  ) {
    super();
    const logical = createMysqlLogical(config, factories, purpose);
    this[STATE] = { logical, endEmitted: false };
    logical.lc.observe(this);
    logical.lc.open().then(
      // As mysql2: 'connect' carries the server's handshake packet.
      () => this.emit('connect', this.handshake()),
      (err: unknown) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
      },
    );
  }

  /** The mysql2 connection currently in use (changes after a failover). */
  get nativeConnection(): NativeMysqlConnection | undefined {
    return this[STATE].logical.lc.current?.native;
  }

  get threadId(): number | null {
    return this.nativeConnection?.threadId ?? null;
  }

  /** mysql2's ConnectionConfig of the connection in use (before connect: one built from the config). */
  get config(): Record<string, unknown> {
    const native = this.nativeConnection as unknown as { config?: Record<string, unknown> } | undefined;
    if (native?.config !== undefined) return native.config;
    const s = this[STATE];
    s.pendingConfig ??= new (
      mysql as unknown as { ConnectionConfig: new (o: unknown) => Record<string, unknown> }
    ).ConnectionConfig(s.logical.lc.service.config.driverConfig);
    return s.pendingConfig;
  }

  /** COM_RESET_CONNECTION on the connection in use (mysql2's `reset`). */
  reset(callback?: Callback): void {
    const logical = this[STATE].logical;
    this.settle(
      runOnNative(logical, 'ping', (native) =>
        callNative((done) => (native as unknown as { reset(cb: NativeCallback): void }).reset(done)),
      ),
      callback,
    );
  }

  /**
   * Calls back once connected (the connection connects by itself, like mysql2's). As mysql2's,
   * a connection whose socket failed for good calls back with that failure.
   */
  connect(callback?: (err: Error | null, connection?: unknown) => void): void {
    // As mysql2: called before the handshake, the callback gets the handshake packet; after, the connection.
    const early = this[STATE].logical.lc.current === undefined;
    const p = this[STATE].logical.lc.open();
    p.then(
      () => {
        const fatal = this.fatalError();
        if (fatal !== undefined) callback?.(fatal);
        else callback?.(null, early ? this.handshake() : this);
      },
      (err: unknown) => callback?.(this.fatalError() ?? (err as Error)),
    );
  }

  /** The handshake packet of the mysql2 connection in use (mysql2's 'connect' argument). */
  private handshake(): unknown {
    return (this.nativeConnection as { _handshakePacket?: unknown } | undefined)?._handshakePacket;
  }

  /** mysql2's fatal / protocol error of the last connection, when nothing will replace it. */
  private fatalError(): Error | undefined {
    const s = this[STATE];
    if (s.logical.lc.recoversFromLoss()) return undefined;
    const native = (this.nativeConnection ?? s.lastNative) as
      { _fatalError?: Error | null; _protocolError?: Error | null } | undefined;
    return native?._fatalError ?? native?._protocolError ?? undefined;
  }

  query<T = unknown>(sql: unknown, values?: unknown, callback?: QueryCallback<T>): NativeCommand {
    return this.statement('query', sql, values, callback as Callback | undefined);
  }

  execute<T = unknown>(sql: unknown, values?: unknown, callback?: QueryCallback<T>): NativeCommand {
    return this.statement('execute', sql, values, callback as Callback | undefined);
  }

  prepare(sql: unknown, callback?: Callback): NativeCommand {
    return this.statement('prepare', sql, undefined, callback);
  }

  /** mysql2's promise wrapper (`mysql2/promise`'s PromiseConnection) around this connection. */
  promise(promiseImpl?: PromiseConstructor): unknown {
    return new MysqlPromiseConnection(this, promiseImpl);
  }

  /**
   * query / execute / prepare: the native mysql2 command is returned whenever the call reaches
   * mysql2 at once (a `LateCommand` stands in otherwise). With a callback, the callback gets
   * aurora-ha's outcome (failover errors included). Without one (event / stream mode), the
   * command's `'error'` is held until the pipeline decided, then the command emits aurora-ha's
   * outcome (a failover error after a loss, the driver's error otherwise) and `'end'`; a call
   * that never reached mysql2 fails the command the same way.
   */
  private statement(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    extra: StatementExtras = {},
  ): NativeCommand {
    const { notSent, settled, prepared } = extra;
    const logical = this[STATE].logical;
    const conn = logical.lc.current;
    if (logical.bare[method] && conn !== undefined && !logical.lc.closing && notSent === undefined) {
      if (prepared !== undefined) {
        const info = prepared.on(conn.native);
        if (!(info instanceof Promise)) return info.execute(values, callback) as NativeCommand;
      } else if (method === 'prepare') {
        return conn.native.prepare(sql, values ?? callback) as NativeCommand;
      } else {
        return (
          values === undefined
            ? conn.native[method](sql, callback)
            : conn.native[method](sql, values, callback)
        ) as NativeCommand;
      }
    }
    if (logical.bare[method] && conn === undefined && !logical.lc.closing && notSent === undefined) {
      return this.afterOpen(method, sql, values, callback, prepared);
    }
    let cb = callback;
    let vals = values;
    if (typeof values === 'function') {
      cb = values as Callback;
      vals = undefined;
    }
    // A command object (mysql.createQuery) carries its own callback: aurora-ha settles it.
    const given = method === 'query' && isNativeCommand(sql) ? sql : undefined;
    if (given !== undefined) {
      cb ??= given.onResult;
      given.onResult = undefined;
    }
    // mysql2 formats a command's SQL in place and keeps its state machine: a command sent again
    // (a resend after a failover, only with a callback) starts from what the caller gave.
    const givenSql = given?.sql;
    const givenValues = given?.values;
    let cmd: NativeCommand | undefined;
    let thrown: { err: unknown } | undefined;
    let held: HeldEvents | undefined;
    const body = (native: NativeMysqlConnection): Promise<unknown[]> => {
      let resolveRun!: (r: unknown[]) => void;
      let rejectRun!: (e: unknown) => void;
      const done = new Promise<unknown[]>((resolve, reject) => {
        resolveRun = resolve;
        rejectRun = reject;
      });
      // A result reaches the callback from mysql2's own callback, as with mysql2 (no plugin
      // changes a result; they only act on failures): same timing relative to the
      // connection's events and the next packets.
      const settle: NativeCallback = (err, ...results) => {
        if (err) {
          rejectRun(err);
          return;
        }
        try {
          deliver(results);
        } finally {
          resolveRun(results);
        }
      };
      try {
        if (given !== undefined) {
          if (cmd !== undefined) {
            given.sql = givenSql;
            given.values = givenValues;
            (given as { next?: unknown }).next = null;
          }
          if (cb !== undefined) given.onResult = settle;
          cmd = native.query(given) as NativeCommand;
        } else if (prepared !== undefined) {
          const info = prepared.on(native) as NativeStatement;
          cmd = (cb !== undefined ? info.execute(vals, settle) : info.execute(vals)) as NativeCommand;
        } else if (method === 'prepare') {
          cmd = native.prepare(sql, settle) as NativeCommand;
        } else if (cb !== undefined) {
          cmd = (
            vals === undefined ? native[method](sql, settle) : native[method](sql, vals, settle)
          ) as NativeCommand;
        } else {
          cmd = (vals === undefined ? native[method](sql) : native[method](sql, vals)) as NativeCommand;
        }
      } catch (err) {
        thrown = { err };
        throw err;
      }
      // mysql2 returns no command from a closed connection (prepare, a statement's execute): it
      // already failed the call through its callback, or through the connection's 'error'.
      if (cmd !== undefined && cb === undefined && method !== 'prepare') {
        // Emitter mode: the command's 'error' (and the 'end' after it) wait for the pipeline's
        // outcome. A lost socket fails a callback-less command only through the connection's
        // 'error' (mysql2 emits nothing on the command then): follow that too.
        held = holdErrors(cmd, resolveRun, rejectRun);
        const h = held;
        const onLost = (err: unknown): void => h.lose(err);
        native.once('error', onLost);
        const detach = (): void => {
          native.off('error', onLost);
        };
        done.then(detach, detach);
      }
      if (cmd === undefined && cb === undefined) {
        // Nothing will report this call's end: fail it here.
        rejectRun(new ConnectionClosedError(`${method}() was refused: the mysql2 connection is closed.`));
      }
      if (cmd !== undefined) late?.attach(cmd);
      return done;
    };
    // A statement prepared on a connection a failover replaced is prepared again first.
    const run = (native: NativeMysqlConnection): Promise<unknown[]> => {
      const ready = prepared?.on(native);
      return ready instanceof Promise ? ready.then(() => body(native)) : body(native);
    };
    let delivered = false;
    const deliver = (results: unknown[]): void => {
      if (delivered) return;
      delivered = true;
      settled?.();
      // With a pipeline (failover possible) the handle is one that survives a failover.
      if (method === 'prepare' && !logical.bare.prepare && results[0] !== undefined) {
        results[0] = this.statementHandle(results[0] as NativeStatement, sql);
      }
      if (cb !== undefined) cb(null, ...results);
    };
    let late: LateCommand | undefined;
    // Emitter mode listens on the first native command: a resend after a failover would go
    // unheard, so it is never resent (a command object of the caller's with a callback may be).
    const p = runOnNative(logical, prepared !== undefined ? 'execute' : method, run, cb === undefined);
    if (thrown !== undefined) {
      // mysql2 throws some argument errors synchronously (execute with undefined values): so do we.
      p.catch(noop);
      throw thrown.err;
    }
    const reached = cmd;
    const handle: NativeCommand = reached ?? given ?? (late = new LateCommand());
    p.then(
      (results) => deliver(results),
      (err: unknown) => {
        if (delivered) return;
        if (cmd === undefined && notSent !== undefined && isNotSent(err)) {
          notSent(err);
          return;
        }
        // As mysql2: an error reaches the callback before the command ends (and a pool
        // releases the connection); a result after it.
        if (cb !== undefined) {
          cb(err as Error);
          settled?.(err);
          // mysql2 ends a command after its callback; one that never reached it ends here.
          if (cmd === undefined) handle.emit('end');
          return;
        }
        settled?.(err);
        if (cmd === undefined || held === undefined) failCommand(handle, err);
        else held.release(err);
      },
    );
    return handle;
  }

  /**
   * A call with no plugin on its method, made while the connection is still opening: once open,
   * it is handed to mysql2 as it is (the fast path), so its callback runs inside mysql2's own,
   * as with mysql2. A stand-in command forwards the native command's events meanwhile.
   */
  private afterOpen(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    prepared: PreparedStatement | undefined,
  ): NativeCommand {
    const late = new LateCommand();
    let cb = callback;
    let vals = values;
    if (typeof values === 'function') {
      cb = values as Callback;
      vals = undefined;
    }
    const lc = this[STATE].logical.lc;
    lc.ready().then(
      () => {
        if (lc.current === undefined) {
          failLate(late, cb, new ConnectionClosedError());
          return;
        }
        let cmd: NativeCommand;
        try {
          cmd = this.statement(method, sql, vals, cb, { prepared });
        } catch (err) {
          // mysql2 throws argument errors synchronously: the call is over, as it would be.
          failLate(late, cb, err);
          return;
        }
        late.attach(cmd);
      },
      (err: unknown) => failLate(late, cb, err),
    );
    return late;
  }

  /** The handle given for a statement mysql2 prepared: one that survives a failover. */
  private statementHandle(info: NativeStatement, sql: unknown): PreparedStatement {
    const handles = (this[STATE].handles ??= new WeakMap());
    let handle = handles.get(info);
    if (handle === undefined) {
      handle = new PreparedStatement(this, info, prepareOptions(sql));
      handles.set(info, handle);
    }
    return handle;
  }

  /** @internal A prepared statement handle's `execute()`: on the connection in use, prepared again there when needed. */
  executePrepared(
    statement: PreparedStatement,
    values: unknown,
    callback: Callback | undefined,
  ): NativeCommand {
    return this.statement('execute', undefined, values, callback, { prepared: statement });
  }

  /**
   * @internal For pools: run `query`/`execute`; `settled` is called once the call is over (before
   * the callback; mysql2 emits no `'end'` on a command failed by a lost socket) and, when
   * aurora-ha rejected it before it reached a server (`statementSent === false`), `notSent`
   * instead of both.
   */
  statementForPool(
    method: 'query' | 'execute',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    notSent: NotSentHook,
    settled: (err?: unknown) => void,
  ): NativeCommand {
    return this.statement(method, sql, values, callback, { notSent, settled });
  }

  beginTransaction(callback?: Callback): void {
    this.simple('beginTransaction', callback);
  }

  commit(callback?: Callback): void {
    this.simple('commit', callback);
  }

  rollback(callback?: Callback): void {
    this.simple('rollback', callback);
  }

  ping(callback?: Callback): void {
    this.simple('ping', callback);
  }

  changeUser(options: { database?: string } & Record<string, unknown>, callback?: Callback): void {
    const logical = this[STATE].logical;
    const p = runOnNative(logical, 'changeUser', (native) =>
      callNative((done) => native.changeUser(options, done)),
    ).then((r) => {
      followChangeUser(logical, options);
      return r;
    });
    this.settle(p, callback);
  }

  private simple(
    method: 'beginTransaction' | 'commit' | 'rollback' | 'ping',
    callback: Callback | undefined,
  ): void {
    const logical = this[STATE].logical;
    const conn = logical.lc.current;
    if (logical.bare[method] && conn !== undefined && !logical.lc.closing) {
      conn.native[method](callback ?? noop);
      return;
    }
    this.settle(
      runOnNative(logical, method as NetworkMethod, (native) => callNative((done) => native[method](done))),
      callback,
    );
  }

  /** Deliver a result to the callback, or (no callback) an error to the connection's listeners. */
  private settle(p: Promise<unknown[]>, callback: Callback | undefined): void {
    p.then(
      (results) => callback?.(null, ...results),
      (err: unknown) => {
        if (callback) callback(err as Error);
        else if (this.listenerCount('error') > 0) this.emit('error', err);
      },
    );
  }

  /** mysql2's closing flag: true from the moment end() / destroy() is called. */
  get _closing(): boolean {
    const native = this.nativeConnection as unknown as { _closing?: boolean } | undefined;
    return this[STATE].logical.lc.closing || this[STATE].closeCalled || native?._closing === true;
  }

  end(callback?: (err?: Error | null) => void): void {
    this[STATE].closeCalled = true;
    this[STATE].logical.lc.end().then(
      () => {
        this.emitEnd();
        callback?.(null);
      },
      (err: unknown) => callback?.(err as Error),
    );
  }

  /** As mysql2's `close()` (what its `destroy()` calls): closes the connection now. */
  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    if (!this[STATE].logical.lc.closing) this.end();
  }

  /** @internal A pool's connection config (mysql2 gives each pooled connection a copy of it). */
  seedConfig(config: Record<string, unknown>): void {
    this[STATE].pendingConfig = config;
  }

  destroy(): void {
    this[STATE].closeCalled = true;
    const native = this.nativeConnection;
    void this[STATE].logical.lc.destroy().then(() => this.emitEnd());
    // As mysql2: the connection is closing as soon as destroy() returns (`state`).
    native?.destroy();
  }

  /** mysql2's own (see the end of this module): escapes with this connection's `config.timezone`. */
  declare escape: (value: unknown) => string;
  /** mysql2's own. */
  declare escapeId: (value: string | string[]) => string;
  /** mysql2's own: this connection's `config` (namedPlaceholders, queryFormat, timezone, ...) applies. */
  declare format: (sql: string, values?: unknown) => string;

  /** @internal Whether a lost socket is recovered on the next call (then it is no 'error' event). */
  recoversFromLoss(): boolean {
    return this[STATE].logical.lc.recoversFromLoss();
  }

  /** @internal The socket was lost while idle and the next call will move the connection first. */
  lostWhileIdle(): boolean {
    const lc = this[STATE].logical.lc;
    return lc.current?.closed === true && !lc.closing && lc.recoversFromLoss();
  }

  /** @internal The native connection ended without end(): with no plugin to replace it, this one is over. */
  physicalEnded(): void {
    const logical = this[STATE].logical;
    if (logical.lc.closing || !nothingRecovers(logical)) return;
    // Nothing will replace it: over at once, as mysql2's connection is when its socket ends.
    this.emitEnd();
    void logical.lc.end();
  }

  /** @internal Move event forwarding (and mysql2's promise wrapper) to the new native connection. */
  connectionChanged(conn: PhysicalConnection, previous: PhysicalConnection | undefined): void {
    this[STATE].lastNative = conn.native as NativeMysqlConnection;
    applyPendingConfig(this[STATE], conn.native as { config?: Record<string, unknown> });
    moveNativeEvents(this, conn, previous);
    if (previous !== undefined) emitFailover(this, movedEvent(conn, previous));
  }

  /** @internal A failover failed: this connection is unusable from now on. */
  failoverFailed(from: PhysicalConnection | undefined, error: Error): void {
    emitFailover(this, failedEvent(from, error));
  }

  private emitEnd(): void {
    const s = this[STATE];
    if (s.endEmitted) return;
    s.endEmitted = true;
    this.emit('end');
  }
}

function noop(): void {}

/** A call that never reached mysql2: the callback gets the error (else the command's 'error'), then 'end'. */
function failLate(late: LateCommand, callback: Callback | undefined, err: unknown): void {
  if (callback !== undefined) {
    callback(err as Error);
    late.emit('end');
  } else {
    late.fail(err);
  }
}

/** Where each connection goes is aurora-ha's business: these keys of an early `config` are not copied. */
const ROUTING_KEYS: ReadonlySet<string> = new Set(['host', 'port', 'uri', 'socketPath', 'pool']);

/**
 * Settings changed on `connection.config` before the connection existed (mysql2 code sets e.g.
 * `connection.config.namedPlaceholders = true` right after createConnection) apply to every
 * mysql2 connection this one uses.
 */
function applyPendingConfig(state: ConnectionState, native: { config?: Record<string, unknown> }): void {
  const pending = state.pendingConfig;
  const target = native.config;
  if (pending === undefined || target === undefined || pending === target) return;
  for (const key of Object.keys(pending)) {
    if (!ROUTING_KEYS.has(key) && target[key] !== pending[key]) target[key] = pending[key];
  }
}

// mysql2's formatting members read nothing but `this.config` (and call each other): ours are
// mysql2's own functions, so they behave as mysql2's with the config in use, also before connect.
{
  const nativeProto = (mysql as unknown as { Connection: { prototype: Record<string, unknown> } }).Connection
    .prototype;
  for (const key of ['format', 'escape', 'escapeId', '_resolveNamedPlaceholders']) {
    Object.defineProperty(Connection.prototype, key, {
      configurable: true,
      writable: true,
      value: nativeProto[key],
    });
  }
}
delegateNativeMembers(Connection.prototype, (self) => (self as Connection).nativeConnection);
// `instanceof` mysql2's Connection (and its BaseConnection) holds, as code written for mysql2
// checks it. Every mysql2 member is defined on our prototype above (ours or a forwarder), so
// nothing of mysql2's prototype runs on this object.
Object.setPrototypeOf(
  Connection.prototype,
  (mysql as unknown as { Connection: { prototype: object } }).Connection.prototype,
);

/** Objects holding a copy of Connection.prototype's members (see connectionMembersOver). */
const memberCopies = new Set<object>();

/**
 * A copy of every member of Connection.prototype, on top of `base`: how a subclass gets our
 * connection's members over another prototype chain (the pool's, over mysql2's own
 * PoolConnection.prototype). `instanceof Connection` still holds for its instances.
 */
export function connectionMembersOver(base: object): object {
  const copy = Object.create(base) as object;
  for (const key of Reflect.ownKeys(Connection.prototype)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(Connection.prototype, key);
    if (d !== undefined) Object.defineProperty(copy, key, d);
  }
  Object.defineProperty(copy, 'constructor', { configurable: true, writable: true, value: Connection });
  memberCopies.add(copy);
  return copy;
}

Object.defineProperty(Connection, Symbol.hasInstance, {
  configurable: true,
  value: function hasInstance(this: unknown, x: unknown): boolean {
    if (typeof this !== 'function') return false;
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    if (this !== Connection || typeof x !== 'object' || x === null) return false;
    for (const copy of memberCopies) if (Object.prototype.isPrototypeOf.call(copy, x)) return true;
    return false;
  },
});

/** Like mysql2's `createConnection`: connects at once; calls made meanwhile wait. */
export function createConnection(config: string | AuroraConnectionOptions): Connection {
  return new Connection(config);
}
