/**
 * Statement calls that reach mysql2 late or never: a call made while the connection is still
 * opening (a `LateCommand` stands in until it is handed to mysql2), and how a call that never
 * reached mysql2 fails — as mysql2 fails one: the error (callback, else `'error'` when heard),
 * then `'end'`.
 */
import { ConnectionClosedError } from '../../core/errors.js';
import { LateCommand } from './query-command.js';
import type { NativeCommand } from './query-command.js';
import type { PreparedStatement } from './prepared-statement.js';
import { STATE } from './connection-state.js';
import type { Callback, StatementHost, StatementMethod } from './statement-call.js';

/** A command that never reached mysql2 fails as mysql2 fails one: `'error'` (when heard), then `'end'`. */
export function failCommand(cmd: NativeCommand, err: unknown): void {
  if (cmd instanceof LateCommand) {
    cmd.fail(err);
    return;
  }
  if (cmd.listenerCount('error') > 0) cmd.emit('error', err);
  cmd.emit('end');
}

/** A call that never reached mysql2: the callback gets the error (else the command's 'error'), then 'end'. */
function failLate(late: LateCommand, callback: Callback | undefined, err: unknown): void {
  if (callback !== undefined) {
    callback(err as Error);
    late.emit('end');
  } else {
    late.fail(err);
  }
}

/**
 * A call with no plugin on its method, made while the connection is still opening: once open,
 * it is handed to mysql2 as it is (the fast path, through `host.statement()`), so its callback
 * runs inside mysql2's own, as with mysql2. A stand-in command forwards the native command's
 * events meanwhile.
 */
export function sendAfterOpen(
  host: StatementHost,
  method: StatementMethod,
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
  const lc = host[STATE].logical.lc;
  lc.ready().then(
    () => {
      if (lc.current === undefined) {
        failLate(late, cb, new ConnectionClosedError());
        return;
      }
      let cmd: NativeCommand;
      try {
        cmd = host.statement(method, sql, vals, cb, { prepared });
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
