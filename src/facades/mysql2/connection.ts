/**
 * The callback-style connection of `aurora-ha/mysql2` (`createConnection(config)`): same
 * methods and events as mysql2's Connection. It connects at once, like mysql2; calls made
 * before the handshake finished wait for it. Every network method goes through its pipeline
 * and is run by mysql2's own connection, so results and errors are mysql2's. With no plugin
 * subscribed to a method, mysql2 is called directly.
 */
import type { ConnectionCounts } from '../../selectors/connection-counts.js';
import { touchSession } from '../../connection/session-statements.js';
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { PluginFactory, NetworkMethod } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { AuroraConnectionOptions, NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import {
  createMysqlLogical,
  emitFailover,
  followChangeUser,
  moveNativeEvents,
  nothingRecovers,
  runOnNative,
} from './mysql2-native.js';
import { failedEvent, movedEvent } from '../../connection/failover-event.js';
import type { NativeCommand } from './query-command.js';
import { MysqlPromiseConnection, withSetReadOnly } from './mysql2-promise-classes.js';
import { PreparedStatement, prepareOptions } from './prepared-statement.js';
import type { NativeStatement } from './prepared-statement.js';
import { STATE } from './connection-state.js';
import type { ConnectionState } from './connection-state.js';
import { statementDispatch } from './statement.js';
import type { NotSentHook, StatementExtras, StatementHost } from './statement.js';
import { rewireConnectionPrototype } from './connection-prototype.js';
import { fatalErrorOf, handshakePacketOf, mysql2Closing } from '../../drivers/mysql2/internals.js';

export { isNotSent } from './statement.js';
export type { NotSentHook } from './statement.js';
export { connectionMembersOver } from './connection-prototype.js';

type Callback = (err: Error | null, ...results: unknown[]) => void;

/** Callback of query/execute: mysql2 passes the result and the field packets. */
export type QueryCallback<T = unknown> = (err: Error | null, result?: T, fields?: unknown) => void;

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
   * @param counts internal: the pool's `leastConnections` counts.
   */
  constructor(
    config: string | AuroraConnectionOptions,
    factories?: readonly PluginFactory[],
    purpose: 'user' | 'pool' = 'user',
    counts?: ConnectionCounts,
  ) {
    super();
    const logical = createMysqlLogical(config, factories, purpose);
    if (counts !== undefined) logical.lc.service.connectionCounts = counts;
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
    return handshakePacketOf(this.nativeConnection);
  }

  /** mysql2's fatal / protocol error of the last connection, when nothing will replace it. */
  private fatalError(): Error | undefined {
    const s = this[STATE];
    if (s.logical.lc.recoversFromLoss()) return undefined;
    return fatalErrorOf(this.nativeConnection ?? s.lastNative);
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
    return withSetReadOnly(new MysqlPromiseConnection(this, promiseImpl));
  }

  /** query / execute / prepare (statement.ts: `statementDispatch.statement`). */
  private statement(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    extra?: StatementExtras,
  ): NativeCommand {
    return statementDispatch.statement.call(
      this as unknown as StatementHost,
      method,
      sql,
      values,
      callback,
      extra,
    );
  }

  /** A call made while the connection is still opening (statement.ts: `statementDispatch.afterOpen`). */
  private afterOpen(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    prepared: PreparedStatement | undefined,
  ): NativeCommand {
    return statementDispatch.afterOpen.call(
      this as unknown as StatementHost,
      method,
      sql,
      values,
      callback,
      prepared,
    );
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

  /**
   * readWriteSplitting: route this connection to a reader (`true`) or back to the writer
   * (`false`), docs/read-scaling.md › setReadOnly. Errors (ReadWriteSplittingError) go to the
   * callback, or to `'error'` listeners without one.
   */
  setReadOnly(readOnly: boolean, callback?: (err: Error | null) => void): void {
    const p = this[STATE].logical.lc.setReadOnly(readOnly).then(() => [] as unknown[]);
    this.settle(p, callback);
  }

  /** readWriteSplitting: true while in read-only mode (pools switch it back before handing it out). */
  readOnlyMode(): boolean {
    return this[STATE].logical.lc.isReadOnly();
  }

  changeUser(options: { database?: string } & Record<string, unknown>, callback?: Callback): void {
    const logical = this[STATE].logical;
    const p = runOnNative(logical, 'changeUser', (native) => {
      touchSession(logical.lc.current);
      return callNative((done) => native.changeUser(options, done));
    }).then((r) => {
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

  /**
   * mysql2's closing flag: true from the moment end() / destroy() is called, or once the socket
   * is gone with nothing to replace it. Not while the socket is lost and the next call will move
   * the connection (`recoversFromLoss`): the connection is not closing then, and a pool that
   * skips `end()` for a connection already `_closing` (Sequelize's `disconnect`) would otherwise
   * drop it without ending it — leaving its topology monitor reference, and that monitor's socket,
   * open for good.
   */
  get _closing(): boolean {
    const state = this[STATE];
    if (state.logical.lc.closing || state.closeCalled) return true;
    return mysql2Closing(this.nativeConnection) && !this.recoversFromLoss();
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

  /** @internal Its reader lags past maxReplicaLagMs: the pool moves it before handing it out (docs/read-scaling.md). */
  wantsToMove(): boolean {
    return this[STATE].logical.lc.wantsToMove();
  }

  /** @internal Move it now (see wantsToMove); never rejects. */
  moveNow(): Promise<boolean> {
    return this[STATE].logical.lc.moveNow();
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
  connectionChanged(
    conn: PhysicalConnection,
    previous: PhysicalConnection | undefined,
    switched = false,
  ): void {
    this[STATE].lastNative = conn.native as NativeMysqlConnection;
    applyPendingConfig(this[STATE], conn.native as { config?: Record<string, unknown> });
    moveNativeEvents(this, conn, previous);
    // A read/write switch (setReadOnly) is no failover: no 'failover' event.
    if (previous !== undefined && !switched) emitFailover(this, movedEvent(conn, previous));
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

rewireConnectionPrototype(Connection);

/** Like mysql2's `createConnection`: connects at once; calls made meanwhile wait. */
export function createConnection(config: string | AuroraConnectionOptions): Connection {
  return new Connection(config);
}
