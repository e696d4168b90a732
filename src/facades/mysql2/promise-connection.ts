/**
 * The promise connection of `aurora-ha/mysql2/promise`: `createConnection(config)` resolves
 * once connected; methods return what mysql2/promise returns (`[rows, fields]` etc.).
 * Each call goes through its pipeline and is run by mysql2's own promise wrapper of the
 * current native connection, so results and errors are exactly mysql2/promise's.
 */
import { touchSession } from '../../connection/session-statements.js';
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { FieldPacket, QueryOptions, QueryResult } from 'mysql2';
import type { NetworkMethod, PluginFactory } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type {
  AuroraConnectionOptions,
  MysqlLogical,
  NativeMysqlConnection,
  NativePromiseConnection,
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
import { ConnectionClosedError } from '../../core/errors.js';
import { MysqlPromiseConnection } from './mysql2-promise-classes.js';
import { captureCallerStack, withCallerStack } from './caller-stack.js';
import type { StackHolder } from './caller-stack.js';
import { PreparedStatement, prepareOptions } from './prepared-statement.js';
import type { NativeStatement, StatementOwner } from './prepared-statement.js';

const STATE = Symbol('aurora-ha.mysql2.promise-connection');

/** mysql2's `trace` option (default on): rejections carry the caller's stack. */
function traced(logical: MysqlLogical): boolean {
  return (logical.lc.service.config.driverConfig as { trace?: unknown }).trace !== false;
}

interface PromiseConnectionState {
  readonly logical: MysqlLogical;
  /** traced(logical), read once: mysql2 reads its `trace` option once, at createConnection. */
  readonly traced: boolean;
  /** mysql2's promise wrapper of the current native connection. */
  wrapper: NativePromiseConnection | undefined;
  endEmitted: boolean;
  /** Our handle of each mysql2 prepared statement, and what the handles run through. */
  handles?: WeakMap<NativeStatement, PreparedStatement>;
  owner?: StatementOwner;
}

/** mysql2's callback `query` / `execute` (overloads reduced to the two forms used here). */
interface NativeCallbackApi {
  query(sql: unknown, done: (err: Error | null, rows?: unknown, fields?: unknown) => void): unknown;
  query(
    sql: unknown,
    values: unknown,
    done: (err: Error | null, rows?: unknown, fields?: unknown) => void,
  ): unknown;
  execute(sql: unknown, done: (err: Error | null, rows?: unknown, fields?: unknown) => void): unknown;
  execute(
    sql: unknown,
    values: unknown,
    done: (err: Error | null, rows?: unknown, fields?: unknown) => void,
  ): unknown;
}

export class PromiseConnection extends EventEmitter {
  private readonly [STATE]: PromiseConnectionState;

  constructor(config: string | AuroraConnectionOptions, factories?: readonly PluginFactory[]) {
    super();
    const logical = createMysqlLogical(config, factories);
    const state: PromiseConnectionState = {
      logical,
      traced: traced(logical),
      wrapper: undefined,
      endEmitted: false,
    };
    this[STATE] = state;
    logical.lc.observe(this);
  }

  /** Connect (called by createConnection). */
  connect(): Promise<void> {
    return this[STATE].logical.lc.open();
  }

  /** The mysql2 connection currently in use (changes after a failover). */
  get connection(): NativeMysqlConnection | undefined {
    // After end() the last one (closed), as mysql2's wrapper keeps its connection.
    return this[STATE].logical.lc.current?.native ?? this[STATE].wrapper?.connection;
  }

  get threadId(): number | null {
    return this.connection?.threadId ?? null;
  }

  /** As mysql2/promise: resolves `[rows or result header, fields]`. */
  query<T extends QueryResult = QueryResult>(
    sql: string | QueryOptions,
    values?: unknown,
  ): Promise<[T, FieldPacket[]]> {
    // No plugin on query: mysql2's own promise wrapper, called from here rather than through
    // call() — its `new Error()` per call captures the stack, and each frame of ours in it costs
    // (an optimized frame is translated to be summarised): one frame fewer, ~2,700 instructions.
    const s = this[STATE];
    const w = s.wrapper;
    if (s.logical.bare.query && w !== undefined && !s.logical.lc.closing) {
      return (values === undefined ? w.query(sql) : w.query(sql, values)) as Promise<[T, FieldPacket[]]>;
    }
    // The caller's stack captured here, in this frame, not in call(): V8 summarises every
    // optimized frame on the stack, translating the values of each function inlined in it,
    // and here fewer are live (~1,000 instructions per call).
    let holder: StackHolder | undefined;
    if (s.traced) {
      holder = {};
      Error.captureStackTrace(holder, PromiseConnection.prototype.query);
    }
    return this.call('query', sql, values, holder) as Promise<[T, FieldPacket[]]>;
  }

  /** As mysql2/promise: a prepared (cached) statement, resolves `[rows or result header, fields]`. */
  execute<T extends QueryResult = QueryResult>(
    sql: string | QueryOptions,
    values?: unknown,
  ): Promise<[T, FieldPacket[]]> {
    // As query(): mysql2's wrapper straight from here when no plugin is on execute.
    const s = this[STATE];
    const w = s.wrapper;
    if (s.logical.bare.execute && w !== undefined && !s.logical.lc.closing) {
      return (values === undefined ? w.execute(sql) : w.execute(sql, values)) as Promise<[T, FieldPacket[]]>;
    }
    let holder: StackHolder | undefined;
    if (s.traced) {
      holder = {};
      Error.captureStackTrace(holder, PromiseConnection.prototype.execute);
    }
    return this.call('execute', sql, values, holder) as Promise<[T, FieldPacket[]]>;
  }

  /**
   * As mysql2/promise. With a pipeline (failover possible) the handle's statement is aurora-ha's
   * (prepared-statement.ts): its `execute()` runs on the connection in use, prepared again there
   * after a failover.
   */
  prepare(sql: unknown): Promise<unknown> {
    const s = this[STATE];
    const holder = s.traced ? captureCallerStack(PromiseConnection.prototype.prepare) : undefined;
    if (s.logical.bare.prepare) return this.call('prepare', sql, undefined, holder);
    return this.call('prepare', sql, undefined, holder).then((result) => {
      const info = result as { statement: NativeStatement | PreparedStatement };
      if (!(info.statement instanceof PreparedStatement)) {
        const native = info.statement;
        const handles = (s.handles ??= new WeakMap());
        let handle = handles.get(native);
        if (handle === undefined) {
          handle = new PreparedStatement(this.statementOwner(), native, prepareOptions(sql));
          handles.set(native, handle);
        }
        info.statement = handle;
      }
      return result;
    });
  }

  /** What this connection's prepared statement handles run their execute() through. */
  private statementOwner(): StatementOwner {
    const s = this[STATE];
    s.owner ??= {
      executePrepared: (statement, values, callback) => {
        const p = runOnNative(s.logical, 'execute', (native) => {
          const run = (info: NativeStatement): Promise<unknown[]> =>
            new Promise((resolve, reject) => {
              info.execute(values, (err, ...results) => (err ? reject(err) : resolve(results)));
            });
          const ready = statement.on(native);
          return ready instanceof Promise ? ready.then(run) : run(ready);
        });
        p.then(
          (results) => callback?.(null, ...results),
          (err: unknown) => callback?.(err as Error),
        );
        return undefined;
      },
      get nativeConnection() {
        return s.logical.lc.current?.native;
      },
      get config() {
        return (s.logical.lc.current?.native as { config?: unknown } | undefined)?.config ?? {};
      },
    };
    return s.owner;
  }

  /** `holder`: the caller's stack, captured by the public method (undefined when not traced). */
  private call(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    holder: StackHolder | undefined,
  ): Promise<unknown> {
    const s = this[STATE];
    const w = s.wrapper;
    if (s.logical.bare[method] && w !== undefined && !s.logical.lc.closing) {
      return values === undefined ? w[method](sql) : w[method](sql, values);
    }
    return withCallerStack(
      runOnNative(
        s.logical,
        method,
        () => {
          if (method === 'prepare') {
            const wrapper = this.currentWrapper();
            return values === undefined ? wrapper.prepare(sql) : wrapper.prepare(sql, values);
          }
          // The callback API, not mysql2's promise wrapper: the wrapper would capture the stack a
          // second time on every call (the caller's is captured above), which cost ~5 % of the
          // client CPU of a `SELECT 1`.
          this.currentWrapper(); // throws ConnectionClosedError when closed
          const native = s.wrapper!.connection as unknown as NativeCallbackApi;
          return new Promise<unknown>((resolve, reject) => {
            const done = (err: Error | null, rows?: unknown, fields?: unknown): void => {
              if (err) reject(err);
              else resolve([rows, fields]);
            };
            if (values === undefined) native[method](sql, done);
            else native[method](sql, values, done);
          });
        },
        false,
        sql,
      ),
      holder,
    );
  }

  beginTransaction(): Promise<void> {
    return this.simple('beginTransaction');
  }

  commit(): Promise<void> {
    return this.simple('commit');
  }

  rollback(): Promise<void> {
    return this.simple('rollback');
  }

  ping(): Promise<void> {
    return this.simple('ping');
  }

  /** readWriteSplitting: route to a reader (`true`) or back to the writer (`false`), docs/read-scaling.md › setReadOnly. */
  setReadOnly(readOnly: boolean): Promise<void> {
    return this[STATE].logical.lc.setReadOnly(readOnly);
  }

  async changeUser(options: { database?: string } & Record<string, unknown>): Promise<void> {
    const s = this[STATE];
    await runOnNative(s.logical, 'changeUser', () => {
      touchSession(s.logical.lc.current);
      return this.currentWrapper().changeUser(options);
    });
    followChangeUser(s.logical, options);
  }

  private simple(method: 'beginTransaction' | 'commit' | 'rollback' | 'ping'): Promise<void> {
    const s = this[STATE];
    const w = s.wrapper;
    if (s.logical.bare[method] && w !== undefined && !s.logical.lc.closing) return w[method]();
    const holder = s.traced ? captureCallerStack(PromiseConnection.prototype[method]) : undefined;
    return withCallerStack(
      runOnNative(s.logical, method as NetworkMethod, () => this.currentWrapper()[method]()),
      holder,
    );
  }

  private currentWrapper(): NativePromiseConnection {
    const s = this[STATE];
    s.logical.lc.native(); // throws ConnectionClosedError when closed
    return s.wrapper as NativePromiseConnection;
  }

  async end(): Promise<void> {
    await this[STATE].logical.lc.end();
    this.emitEnd();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this[STATE].logical.lc.closing) await this.end();
  }

  destroy(): void {
    const native = this.connection;
    void this[STATE].logical.lc.destroy().then(() => this.emitEnd());
    // As mysql2: closing as soon as destroy() returns.
    native?.destroy();
  }

  /** As mysql2/promise: the connection's own (its config's timezone). */
  escape(value: unknown): string {
    const c = this.connection as { escape?(v: unknown): string } | undefined;
    return c?.escape !== undefined ? c.escape(value) : mysql.escape(value as never);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value);
  }

  /** As mysql2/promise: the connection's own (namedPlaceholders, queryFormat, timezone of its config). */
  format(sql: string, values?: unknown): string {
    const c = this.connection as { format?(s: string, v?: unknown): string } | undefined;
    return c?.format !== undefined ? c.format(sql, values) : mysql.format(sql, values as never);
  }

  /** @internal Whether a lost socket is recovered on the next call (then it is no 'error' event). */
  recoversFromLoss(): boolean {
    return this[STATE].logical.lc.recoversFromLoss();
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
    this[STATE].wrapper = (conn.native as NativeMysqlConnection).promise();
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

/**
 * Members of mysql2/promise's PromiseConnection this class does not define (unprepare, reset,
 * pause, resume, config, ...) are forwarded to mysql2's promise wrapper of the connection in use.
 */
function delegateWrapperMembers(): void {
  const proto = PromiseConnection.prototype as unknown as Record<string, unknown>;
  const wrapperOf = (self: unknown): Record<string, unknown> | undefined =>
    (self as { [STATE]: PromiseConnectionState })[STATE].wrapper as unknown as
      Record<string, unknown> | undefined;
  const names = new Set<string>(['Promise', 'config']);
  for (
    let p: object | null = MysqlPromiseConnection.prototype;
    p !== null && p !== EventEmitter.prototype && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
  }
  for (const key of names) {
    if (key in proto) continue;
    const d = Object.getOwnPropertyDescriptor(MysqlPromiseConnection.prototype, key);
    if (d !== undefined && typeof d.value === 'function') {
      Object.defineProperty(proto, key, {
        configurable: true,
        writable: true,
        value: function forwarded(this: unknown, ...args: unknown[]): unknown {
          const w = wrapperOf(this);
          if (w === undefined) throw new ConnectionClosedError(`${key}() needs an open connection.`);
          return (w[key] as (...a: unknown[]) => unknown).apply(w, args);
        },
      });
    } else {
      Object.defineProperty(proto, key, {
        configurable: true,
        get(this: unknown): unknown {
          return wrapperOf(this)?.[key];
        },
      });
    }
  }
}
delegateWrapperMembers();

// `instanceof` the promise module's Connection holds for every promise connection it hands out,
// as in mysql2/promise (whose PromisePoolConnection extends its PromiseConnection): ours, and
// mysql2's own wrappers around aurora-ha connections (`connection.promise()`, promise pool
// connections).
Object.defineProperty(PromiseConnection, Symbol.hasInstance, {
  configurable: true,
  value: function hasInstance(this: unknown, x: unknown): boolean {
    if (typeof this !== 'function') return false;
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    return this === PromiseConnection && x instanceof MysqlPromiseConnection;
  },
});

/** Like mysql2/promise's `createConnection`: resolves once connected. */
export async function createConnection(config: string | AuroraConnectionOptions): Promise<PromiseConnection> {
  const conn = new PromiseConnection(config);
  // As mysql2's createConnection (whatever `trace` says): a failed connect names the caller.
  const holder = captureCallerStack(createConnection);
  await withCallerStack(conn.connect(), holder);
  return conn;
}
