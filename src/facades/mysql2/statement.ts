/**
 * The statement dispatch of the callback-style mysql2 Connection (query / execute / prepare and a
 * prepared statement's execute): which path a call takes — straight to mysql2 (statement-bare.ts),
 * after the connection opened (statement-late.ts), or through aurora-ha's pipeline
 * (statement-pipeline.ts, with its callback / emitter / prepared-statement paths and outcome).
 * `statementDispatch`'s methods are the Connection's own `statement()` / `afterOpen()`, kept in
 * this module (connection.ts calls them with the connection as `this`).
 */
import type { NativeCommand } from './query-command.js';
import type { PreparedStatement } from './prepared-statement.js';
import { STATE } from './connection-state.js';
import type { Callback, StatementExtras, StatementHost, StatementMethod } from './statement-call.js';
import { sendBare } from './statement-bare.js';
import { sendAfterOpen } from './statement-late.js';
import { sendPipelined } from './statement-pipeline.js';
import { PREPARE_FIRST } from './statement-prepared.js';

export type { NotSentHook, StatementExtras, StatementHost } from './statement-call.js';
export { isNotSent } from './statement-outcome.js';

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
    method: StatementMethod,
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    extra: StatementExtras = {},
  ): NativeCommand {
    // A callback that is not a function (a JavaScript caller's `null`) is no callback, as for mysql2.
    const cb = typeof callback === 'function' ? callback : undefined;
    const logical = this[STATE].logical;
    const conn = logical.lc.current;
    // No plugin on the method and no pool hook: mysql2 itself runs the call, once open.
    const bare = logical.bare[method] && !logical.lc.closing && extra.notSent === undefined;
    if (bare && conn !== undefined) {
      const sent = sendBare(conn.native, method, sql, values, cb, extra.prepared);
      if (sent !== PREPARE_FIRST) return sent;
    } else if (bare) {
      return this.afterOpen(method, sql, values, cb, extra.prepared);
    }
    return sendPipelined(this, method, sql, values, cb, extra);
  },

  /** A call with no plugin on its method, made while the connection is still opening (statement-late.ts). */
  afterOpen(
    this: StatementHost,
    method: StatementMethod,
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    prepared: PreparedStatement | undefined,
  ): NativeCommand {
    return sendAfterOpen(this, method, sql, values, callback, prepared);
  },
};
