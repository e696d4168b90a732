/**
 * `createPool(config)` of `aurora-ha/mysql2`: mysql2's pool API and events (getConnection,
 * query, execute, end, releaseConnection; 'acquire' / 'connection' / 'enqueue' / 'release';
 * connectionLimit, queueLimit, waitForConnections, maxIdle, idleTimeout, resetOnRelease) over
 * aurora-ha connections, each with failover inside it. mysql2's own pool constructs its own
 * connection class and cannot be handed ours (ARCHITECTURE.md › Pools), hence this one.
 *
 * Differences from mysql2, on purpose (ARCHITECTURE.md › Pools):
 * - a connection whose socket is lost while idle stays in the pool when aurora-ha recovers
 *   it on its next use (no `'error'` event then); it leaves the pool on `'error'` / `'end'`;
 * - `pool.query()` / `pool.execute()` retry once, on another pooled connection, when aurora-ha
 *   rejected the statement before it reached any server (`statementSent === false`); never
 *   otherwise.
 */
import { ConnectionCounts } from '../../selectors/connection-counts.js';
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { PluginFactory } from '../../connection/plugin.js';
import { resolveConfig } from '../../config/parse-config.js';
import { Connection, connectionMembersOver, isNotSent } from './connection.js';
import type { NotSentHook, QueryCallback } from './connection.js';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../core/errors.js';
import type { AuroraConnectionOptions } from './mysql2-native.js';
import { ownConfig } from './mysql2-native.js';
import {
  MysqlPromisePoolConnection,
  ReadOnlyPromisePool,
  withSetReadOnly,
} from './mysql2-promise-classes.js';
import { PoolQueue } from './pool-queue.js';
import { tracePoolConnect } from './pool-tracing.js';
import type { NativeCommand } from './query-command.js';

type Callback = (err: Error | null, ...results: unknown[]) => void;
type GetConnectionCallback = (err: Error | null, connection?: PoolConnection) => void;

/** Pool options of mysql2 (the rest of the config is the connections' config). */
export interface AuroraPoolOptions extends AuroraConnectionOptions {
  connectionLimit?: number;
  waitForConnections?: boolean;
  queueLimit?: number;
  maxIdle?: number;
  idleTimeout?: number;
  resetOnRelease?: boolean;
}

/** What mysql2's ConnectionConfig offers that the pool reads. */
interface ConnectionConfigLike {
  namedPlaceholders?: boolean;
  stringifyObjects?: boolean;
  timezone?: string;
  gracefulEnd?: boolean;
  rowsAsArray?: boolean;
  [key: string]: unknown;
}

const mysqlModule = mysql as unknown as {
  ConnectionConfig: new (options: unknown) => ConnectionConfigLike;
  createQuery(sql: unknown, values: unknown, cb: unknown, config: unknown): NativeCommand;
};

function numberOr(value: unknown, fallback: number): number {
  return value === undefined || value === null || Number.isNaN(Number(value)) ? fallback : Number(value);
}

/** The pool's settings, shaped as mysql2's PoolConfig (`pool.config`). */
export class PoolConfig {
  readonly connectionConfig: ConnectionConfigLike;
  readonly waitForConnections: boolean;
  readonly connectionLimit: number;
  readonly maxIdle: number;
  readonly idleTimeout: number;
  readonly queueLimit: number;
  readonly resetOnRelease: boolean;
  /** The user's config (wrapper options included), given to every pooled connection. */
  readonly auroraConfig: string | Record<string, unknown>;

  constructor(options: string | AuroraPoolOptions) {
    const config = ownConfig(options);
    this.auroraConfig = config;
    // Validates the wrapper options now (mysql2 throws on a bad config at createPool too).
    const resolved = resolveConfig('mysql', config);
    this.connectionConfig = new mysqlModule.ConnectionConfig(resolved.driverConfig);
    const o = typeof config === 'string' ? {} : config;
    this.waitForConnections = o.waitForConnections === undefined ? true : Boolean(o.waitForConnections);
    this.connectionLimit = numberOr(o.connectionLimit, 10);
    this.maxIdle = numberOr(o.maxIdle, this.connectionLimit);
    this.idleTimeout = numberOr(o.idleTimeout, 60000);
    this.queueLimit = numberOr(o.queueLimit, 0);
    this.resetOnRelease = o.resetOnRelease === undefined ? false : Boolean(o.resetOnRelease);
  }
}

/** A lone `BEGIN` / `START TRANSACTION` (text, or mysql2's `{ sql }` options). */
function isLoneBegin(sql: unknown): boolean {
  const text = typeof sql === 'string' ? sql : (sql as { sql?: unknown } | null)?.sql;
  return typeof text === 'string' && /^\s*(begin(\s+work)?|start\s+transaction)\s*;?\s*$/i.test(text);
}

/**
 * A connection of the pool: an aurora-ha Connection that returns to its pool on `release()`.
 * Its prototype chain runs through mysql2's own PoolConnection.prototype (see the end of this
 * file), so `instanceof` mysql2's PoolConnection holds and `release()` and `_removeFromPool()` are
 * mysql2's own (code that instruments them, as APM agents do, sees ours go through them too).
 */
export class PoolConnection extends Connection {
  _pool: Pool | null;
  _released = false;
  lastActiveTime = Date.now();
  /** No statement since it was checked out (see query(); set again when released to the pool). */
  _firstCallAfterCheckout = true;

  /**
   * A lone BEGIN that is the first call after checkout and fails with a failover outcome is run
   * again on the moved connection: a transaction that only began changed nothing, and ORMs such
   * as Drizzle run BEGIN outside the guard that releases the connection (it leaked).
   */
  override query<T = unknown>(sql: unknown, values?: unknown, callback?: QueryCallback<T>): NativeCommand {
    const first = this._firstCallAfterCheckout;
    this._firstCallAfterCheckout = false;
    const cb = typeof values === 'function' ? (values as QueryCallback<T>) : callback;
    const vals = typeof values === 'function' ? undefined : values;
    if (!first || cb === undefined || !isLoneBegin(sql)) return super.query(sql, values, callback);
    return super.query<T>(sql, vals, (err, ...rest) => {
      const moved = err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError;
      if (moved) super.query<T>(sql, vals, cb);
      else cb(err, ...rest);
    });
  }
  /** mysql2's (inherited from its PoolConnection.prototype). */
  declare release: () => void;
  /** mysql2's (inherited): leaves the pool, which hands a waiter a new connection. */
  declare _removeFromPool: () => void;

  constructor(pool: Pool, config: string | AuroraConnectionOptions, factories?: readonly PluginFactory[]) {
    super(config, factories, 'pool', pool.connectionCounts);
    this._pool = pool;
    this.once('end', () => this._removeFromPool());
    this.once('error', () => this._removeFromPool());
  }

  /** As mysql2's: releases (the Connection's own disposal would end it). */
  override [Symbol.dispose](): void {
    this.release();
  }

  /** As mysql2: releases (with a deprecation warning) unless `gracefulEnd` is set. */
  override end(callback?: (err?: Error | null) => void): void {
    if (this._pool?.config.connectionConfig.gracefulEnd === true) {
      this._removeFromPool();
      super.end(callback);
      return;
    }
    const err = new Error(
      'Calling conn.end() to release a pooled connection is deprecated. In next version calling conn.end() will be restored to default conn.end() behavior. Use conn.release() instead.',
    );
    this.emit('warn', err);
    console.warn(err.message);
    this.release();
    if (typeof callback === 'function') callback();
  }

  override destroy(): void {
    this._removeFromPool();
    super.destroy();
  }

  /** @internal Really end the connection (the pool's end()). */
  _realEnd(callback?: (err?: Error | null) => void): void {
    super.end(callback);
  }

  override promise(promiseImpl?: PromiseConstructor): unknown {
    return withSetReadOnly(new MysqlPromisePoolConnection(this, promiseImpl));
  }
}

export class Pool extends EventEmitter {
  readonly config: PoolConfig;
  /** This pool's `leastConnections` counts: it spreads its own connections (docs/read-scaling.md). */
  readonly connectionCounts = new ConnectionCounts();
  readonly _allConnections = new PoolQueue<PoolConnection>();
  readonly _freeConnections = new PoolQueue<PoolConnection>();
  readonly _connectionQueue = new PoolQueue<GetConnectionCallback>();
  _closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly factories: readonly PluginFactory[] | undefined;

  constructor(options: { config: PoolConfig }, factories?: readonly PluginFactory[]) {
    super();
    this.config = options.config;
    this.factories = factories;
    if (this.config.maxIdle < this.config.connectionLimit) this._removeIdleTimeoutConnections();
  }

  /** A per-connection copy of mysql2's connection config (as mysql2's pool has). */
  _createConnectionConfig(): ConnectionConfigLike {
    const c = this.config.connectionConfig;
    return Object.create(
      Object.getPrototypeOf(c) as object,
      Object.getOwnPropertyDescriptors(c),
    ) as ConnectionConfigLike;
  }

  /** As mysql2's: traced on the `mysql2:pool:connect` channel when it has subscribers. */
  getConnection(callback: (err: Error | null, connection: PoolConnection) => void): void {
    const cb = callback as GetConnectionCallback; // mysql2's public signature (ORMs type against it)
    tracePoolConnect((done: GetConnectionCallback) => this.#acquire(done), this.config.connectionConfig, cb);
  }

  #acquire(cb: GetConnectionCallback): void {
    if (this._closed) {
      process.nextTick(() => cb(new Error('Pool is closed.')));
      return;
    }
    const free = this._freeConnections.pop();
    if (free !== undefined && free.readOnlyMode()) {
      // Released in read-only mode (readWriteSplitting): back on the writer before it is handed
      // out again (then checked as any free connection); one that cannot switch back is destroyed.
      free.setReadOnly(false, (err) => {
        if (err) free.destroy();
        else this._freeConnections.push(free);
        this.#acquire(cb);
      });
      return;
    }
    if (free !== undefined && free.lostWhileIdle()) {
      // Moved now (the ping is not sent and fails over), not on the caller's first statement,
      // which would reject as never sent: ORMs such as Drizzle leak a connection whose BEGIN fails.
      free.ping((err) => {
        if (err && !isNotSent(err)) {
          free.destroy();
          this.#acquire(cb);
          return;
        }
        this.emit('acquire', free);
        free._released = false;
        cb(null, free);
      });
      return;
    }
    if (free !== undefined && free.wantsToMove()) {
      // Its reader lags past maxReplicaLagMs: moved first, or handed out where it is (alive, stale).
      void free.moveNow().then(() => {
        this.emit('acquire', free);
        free._released = false;
        cb(null, free);
      });
      return;
    }
    if (free !== undefined) {
      this.emit('acquire', free);
      process.nextTick(() => {
        free._released = false;
        cb(null, free);
      });
      return;
    }
    if (this.config.connectionLimit === 0 || this._allConnections.length < this.config.connectionLimit) {
      const connection = new PoolConnection(this, this.config.auroraConfig, this.factories);
      connection.seedConfig(this._createConnectionConfig());
      this._allConnections.push(connection);
      connection.connect((err) => {
        if (this._closed) {
          cb(new Error('Pool is closed.'));
          return;
        }
        if (err) {
          connection._removeFromPool();
          cb(err);
          return;
        }
        this.emit('connection', connection);
        this.emit('acquire', connection);
        cb(null, connection);
      });
      return;
    }
    if (!this.config.waitForConnections) {
      process.nextTick(() => cb(new Error('No connections available.')));
      return;
    }
    if (this.config.queueLimit && this._connectionQueue.length >= this.config.queueLimit) {
      cb(new Error('Queue limit reached.'));
      return;
    }
    this.emit('enqueue');
    this._connectionQueue.push(cb);
  }

  releaseConnection(connection: PoolConnection): void {
    connection._firstCallAfterCheckout = true;
    if (!connection._pool) {
      // Left the pool: a waiter gets a new connection instead.
      const waiter = this._connectionQueue.shift();
      if (waiter !== undefined) process.nextTick(() => this.getConnection(waiter));
      return;
    }
    if (this.config.resetOnRelease) {
      connection.reset((err) => {
        if (err) {
          connection._pool = null;
          this._allConnections.remove(connection);
          connection.destroy();
          const waiter = this._connectionQueue.shift();
          if (waiter !== undefined) process.nextTick(() => this.getConnection(waiter));
          return;
        }
        this._handleSuccessfulRelease(connection);
      });
      return;
    }
    this._handleSuccessfulRelease(connection);
  }

  _handleSuccessfulRelease(connection: PoolConnection): void {
    const waiter = this._connectionQueue.shift();
    if (waiter !== undefined) {
      process.nextTick(() => {
        connection._released = false;
        waiter(null, connection);
      });
      return;
    }
    this._freeConnections.push(connection);
    this.emit('release', connection);
  }

  _removeConnection(connection: PoolConnection): void {
    this._allConnections.remove(connection);
    this._freeConnections.remove(connection);
    this.releaseConnection(connection);
  }

  end(cb?: (err?: Error | null) => void): void {
    this._closed = true;
    clearTimeout(this.idleTimer);
    const done =
      typeof cb === 'function'
        ? cb
        : (err?: Error | null): void => {
            if (err) throw err;
          };
    for (
      let waiter = this._connectionQueue.shift();
      waiter !== undefined;
      waiter = this._connectionQueue.shift()
    ) {
      const w = waiter;
      process.nextTick(() => w(new Error('Pool is closed.')));
    }
    const all = this._allConnections.toArray();
    if (all.length === 0) {
      done();
      return;
    }
    let calledBack = false;
    let closed = 0;
    const endOne = (err?: Error | null): void => {
      if (calledBack) return;
      if (err || ++closed >= all.length) {
        calledBack = true;
        done(err ?? undefined);
      }
    };
    for (const connection of all) connection._realEnd(endOne);
  }

  [Symbol.dispose](): void {
    if (!this._closed) this.end();
  }

  /**
   * As mysql2's `pool.query`: returns the Query command; the connection goes back to the pool
   * when the command ends. Retried once when aurora-ha rejected it before it reached a server.
   */
  query(sql: unknown, values?: unknown, cb?: Callback): NativeCommand {
    const cmd = mysqlModule.createQuery(sql, values, cb, this.config.connectionConfig);
    const withPlaceholders = cmd as NativeCommand & { namedPlaceholders?: boolean };
    if (withPlaceholders.namedPlaceholders === undefined) {
      withPlaceholders.namedPlaceholders = this.config.connectionConfig.namedPlaceholders;
    }
    const userCb = cmd.onResult;
    const sqlText = cmd.sql;
    const sqlValues = cmd.values;
    const fail = (err: Error): void => {
      if (typeof userCb === 'function') userCb(err);
      else cmd.emit('error', err);
    };
    let retried = false;
    const attempt = (): void => {
      this.getConnection((err, conn) => {
        if (err || conn === undefined) {
          fail(err ?? new Error('No connection.'));
          return;
        }
        cmd.sql = sqlText;
        cmd.values = sqlValues;
        cmd.onResult = userCb;
        const notSent: NotSentHook = (e) => {
          conn.release();
          if (!retried) {
            retried = true;
            attempt();
          } else {
            fail(e);
            cmd.emit('end');
          }
        };
        const release = releaser(conn);
        try {
          conn.statementForPool('query', cmd, undefined, undefined, notSent, release);
        } catch (e) {
          release();
          fail(e as Error);
        }
      });
    };
    attempt();
    return cmd;
  }

  /** As mysql2's `pool.execute` (callback only); retried once like `query`. */
  execute(sql: unknown, values?: unknown, cb?: Callback): void {
    let vals = values;
    let callback = cb;
    if (typeof values === 'function') {
      callback = values as Callback;
      vals = [];
    }
    const done: Callback = callback ?? noop;
    let retried = false;
    const attempt = (): void => {
      this.getConnection((err, conn) => {
        if (err || conn === undefined) {
          done(err ?? new Error('No connection.'));
          return;
        }
        const notSent: NotSentHook = (e) => {
          conn.release();
          if (!retried) {
            retried = true;
            attempt();
          } else done(e);
        };
        const release = releaser(conn);
        try {
          conn.statementForPool(
            'execute',
            sql,
            vals,
            (e, ...results) => done(e, ...results),
            notSent,
            release,
          );
        } catch (e) {
          release();
          done(e as Error);
        }
      });
    };
    attempt();
  }

  promise(promiseImpl?: PromiseConstructor): unknown {
    return new ReadOnlyPromisePool(this, promiseImpl);
  }

  format(sql: string, values?: unknown): string {
    const c = this.config.connectionConfig;
    return mysql.format(sql, values as never, c.stringifyObjects, c.timezone);
  }

  escape(value: unknown): string {
    const c = this.config.connectionConfig;
    return mysql.escape(value as never, c.stringifyObjects, c.timezone);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value, false);
  }

  _removeIdleTimeoutConnections(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      try {
        for (;;) {
          const oldest = this._freeConnections.get(0);
          if (oldest === undefined) break;
          const tooMany = this._freeConnections.length > this.config.maxIdle;
          const tooOld = Date.now() - oldest.lastActiveTime > this.config.idleTimeout;
          if (!tooMany && !tooOld) break;
          // Leaves the free list at once (destroy/end remove it from the pool).
          if (this.config.connectionConfig.gracefulEnd === true) oldest.end();
          else oldest.destroy();
          this._freeConnections.remove(oldest);
        }
      } finally {
        if (!this._closed) this._removeIdleTimeoutConnections();
      }
    }, 1000);
    this.idleTimer.unref();
  }
}

function noop(): void {}

/** mysql2 pools destroy a connection whose statement hit a read-only error (Aurora during failover). */
const READ_ONLY_ERRNOS: ReadonlySet<number> = new Set([1290, 1792, 1836]);

function isReadOnlyError(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && READ_ONLY_ERRNOS.has(errno);
}

/** Release the connection after a call, or destroy it after a read-only error (as mysql2 pools). */
function releaser(conn: PoolConnection): (err?: unknown) => void {
  let called = false;
  return (err?: unknown) => {
    if (called) return;
    called = true;
    if (isReadOnlyError(err)) conn.destroy();
    else conn.release();
  };
}

// `instanceof` mysql2's Pool (and BasePool) holds; every mysql2 pool member is defined above.
Object.setPrototypeOf(Pool.prototype, (mysql as unknown as { Pool: { prototype: object } }).Pool.prototype);

// A pooled connection is `instanceof` mysql2's PoolConnection (and Connection), as mysql2's are:
// PoolConnection.prototype -> our Connection's members -> mysql2's PoolConnection.prototype.
// mysql2's release / _removeFromPool are inherited; everything else of
// mysql2's (end, destroy, _realEnd, promise and the Connection surface) is ours above it.
Object.setPrototypeOf(
  PoolConnection.prototype,
  connectionMembersOver(
    (mysql as unknown as { PoolConnection: { prototype: object } }).PoolConnection.prototype,
  ),
);

/** Like mysql2's `createPool`. */
export function createPool(config: string | AuroraPoolOptions): Pool {
  return new Pool({ config: new PoolConfig(config) });
}
