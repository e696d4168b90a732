/**
 * The callback-style connection of `aurora-ha/mysql2` (`createConnection(config)`): same
 * methods and events as mysql2's Connection. It connects at once, like mysql2; calls made
 * before the handshake finished wait for it. Every network method goes through its pipeline
 * and is run by mysql2's own connection, so results and errors are mysql2's. With no plugin
 * subscribed to a method, mysql2 is called directly.
 */
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { PluginFactory, NetworkMethod } from '../../core/plugin.js';
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
  runOnNative,
} from './mysql2-native.js';
import { failedEvent, movedEvent } from '../../core/failover-event.js';

type Callback = (err: Error | null, ...results: unknown[]) => void;

/** Callback of query/execute: mysql2 passes the result and the field packets. */
export type QueryCallback<T = unknown> = (err: Error | null, result?: T, fields?: unknown) => void;

const STATE = Symbol('aurora-ha.mysql2.connection');

interface ConnectionState {
  readonly logical: MysqlLogical;
  endEmitted: boolean;
}

/** Promise of a native callback call, resolving to its result list. */
function callNative(invoke: (cb: NativeCallback) => unknown): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    invoke((err, ...results) => (err ? reject(err) : resolve(results)));
  });
}

export class Connection extends EventEmitter {
  private readonly [STATE]: ConnectionState;

  constructor(config: string | AuroraConnectionOptions, factories?: readonly PluginFactory[]) {
    super();
    const logical = createMysqlLogical(config, factories);
    this[STATE] = { logical, endEmitted: false };
    logical.lc.observe(this);
    logical.lc.open().then(
      () => this.emit('connect'),
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

  /** Calls back once connected (the connection connects by itself, like mysql2's). */
  connect(callback?: (err: Error | null) => void): void {
    const p = this[STATE].logical.lc.open();
    p.then(
      () => callback?.(null),
      (err: unknown) => callback?.(err as Error),
    );
  }

  query<T = unknown>(sql: unknown, values?: unknown, callback?: QueryCallback<T>): unknown {
    return this.statement('query', sql, values, callback as Callback | undefined);
  }

  execute<T = unknown>(sql: unknown, values?: unknown, callback?: QueryCallback<T>): unknown {
    return this.statement('execute', sql, values, callback as Callback | undefined);
  }

  prepare(sql: unknown, callback?: Callback): unknown {
    return this.statement('prepare', sql, undefined, callback);
  }

  private statement(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
  ): unknown {
    const logical = this[STATE].logical;
    const conn = logical.lc.current;
    if (logical.bare[method] && conn !== undefined && !logical.lc.closing) {
      if (method === 'prepare') return conn.native.prepare(sql, values ?? callback);
      return values === undefined
        ? conn.native[method](sql, callback)
        : conn.native[method](sql, values, callback);
    }
    let cb = callback;
    let vals = values;
    if (typeof values === 'function') {
      cb = values as Callback;
      vals = undefined;
    }
    const p = runOnNative(logical, method, (native) =>
      callNative((done) =>
        method === 'prepare'
          ? native.prepare(sql, done)
          : vals === undefined
            ? native[method](sql, done)
            : native[method](sql, vals, done),
      ),
    );
    this.settle(p, cb);
    return undefined;
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

  end(callback?: (err?: Error | null) => void): void {
    this[STATE].logical.lc.end().then(
      () => {
        this.emitEnd();
        callback?.(null);
      },
      (err: unknown) => callback?.(err as Error),
    );
  }

  destroy(): void {
    void this[STATE].logical.lc.destroy().then(() => this.emitEnd());
  }

  escape(value: unknown): string {
    return mysql.escape(value as never);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value);
  }

  format(sql: string, values?: unknown): string {
    return mysql.format(sql, values as never);
  }

  /** @internal The native connection ended without end(): with no plugin to replace it, this one is over. */
  physicalEnded(): void {
    const logical = this[STATE].logical;
    if (logical.lc.closing || !logical.bare.query) return;
    void logical.lc.end().then(() => this.emitEnd());
  }

  /** @internal Move event forwarding (and mysql2's promise wrapper) to the new native connection. */
  connectionChanged(conn: PhysicalConnection, previous: PhysicalConnection | undefined): void {
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

/** Like mysql2's `createConnection`: connects at once; calls made meanwhile wait. */
export function createConnection(config: string | AuroraConnectionOptions): Connection {
  return new Connection(config);
}
