/**
 * The statement dispatch of the callback-style mysql2 Connection (query / execute / prepare and a
 * prepared statement's execute): the fast path to mysql2, the wait for a connection still
 * opening, and the pipeline path with its callback, emitter and prepared-statement cases.
 * `statementDispatch`'s methods are the Connection's own `statement()` / `afterOpen()`, kept in
 * this module (connection.ts calls them with the connection as `this`).
 */
import type { NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import { runOnNative } from './mysql2-native.js';
import {
  ConnectionClosedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../core/errors.js';
import { LateCommand, isNativeCommand } from './query-command.js';
import type { NativeCommand } from './query-command.js';
import type { PreparedStatement, NativeStatement } from './prepared-statement.js';
import { holdErrors } from './held-errors.js';
import type { HeldEvents } from './held-errors.js';
import { STATE } from './connection-state.js';
import type { ConnectionState } from './connection-state.js';

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

/** What pools and prepared statement handles add to a statement call. */
export interface StatementExtras {
  /** Pools: called instead of the callback when aurora-ha rejected the call before it reached a server. */
  notSent?: NotSentHook;
  /** Pools: called once the call is over, before the callback. */
  settled?: (err?: unknown) => void;
  /** A prepared statement handle's execute(). */
  prepared?: PreparedStatement;
}

/** What the dispatch uses of the Connection it runs for (`this` of its methods). */
export interface StatementHost {
  readonly [STATE]: ConnectionState;
  statement(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    extra?: StatementExtras,
  ): NativeCommand;
  afterOpen(
    method: 'query' | 'execute' | 'prepare',
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    prepared: PreparedStatement | undefined,
  ): NativeCommand;
  /** The handle given for a statement mysql2 prepared: one that survives a failover. */
  statementHandle(info: NativeStatement, sql: unknown): PreparedStatement;
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

export const statementDispatch = {
  /**
   * query / execute / prepare: the native mysql2 command is returned whenever the call reaches
   * mysql2 at once (a `LateCommand` stands in otherwise). With a callback, the callback gets
   * aurora-ha's outcome (failover errors included). Without one (event / stream mode), the
   * command's `'error'` is held until the pipeline decided, then the command emits aurora-ha's
   * outcome (a failover error after a loss, the driver's error otherwise) and `'end'`; a call
   * that never reached mysql2 fails the command the same way.
   */
  statement(
    this: StatementHost,
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
  },

  /**
   * A call with no plugin on its method, made while the connection is still opening: once open,
   * it is handed to mysql2 as it is (the fast path), so its callback runs inside mysql2's own,
   * as with mysql2. A stand-in command forwards the native command's events meanwhile.
   */
  afterOpen(
    this: StatementHost,
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
  },
};
