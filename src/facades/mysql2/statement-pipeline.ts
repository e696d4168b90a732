/**
 * A statement call sent through aurora-ha's pipeline (a plugin on its method, a pool's call, or a
 * prepared statement to prepare again first). The native command is returned when the call
 * reached mysql2 at once (the caller's command object, or a `LateCommand` stand-in, otherwise).
 * Each attempt (a failover may resend a callback call) sends it on the connection in use, in the
 * callback or the event-emitter form; the outcome goes to the caller by statement-outcome.ts.
 */
import type { NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import { runOnNative } from './mysql2-native.js';
import { ConnectionClosedError } from '../../core/errors.js';
import { LateCommand } from './query-command.js';
import type { NativeCommand } from './query-command.js';
import { attemptOutcome, pipelinedCall } from './statement-call.js';
import type {
  AttemptOutcome,
  Callback,
  PipelinedCall,
  StatementExtras,
  StatementHost,
  StatementMethod,
} from './statement-call.js';
import { sendCommandObject } from './statement-command-object.js';
import { executeOn, preparedFirst } from './statement-prepared.js';
import { sendWithCallback } from './statement-callback.js';
import { holdUntilDecided, sendWithoutCallback } from './statement-emitter.js';
import { deliver, fail } from './statement-outcome.js';

function noop(): void {}

export function sendPipelined(
  host: StatementHost,
  method: StatementMethod,
  sql: unknown,
  values: unknown,
  callback: Callback | undefined,
  extra: StatementExtras,
): NativeCommand {
  const call = pipelinedCall(host, method, sql, values, callback, extra);
  // Emitter mode listens on the first native command: a resend after a failover would go
  // unheard, so it is never resent (a command object of the caller's with a callback may be).
  const p = runOnNative(
    call.logical,
    call.prepared !== undefined ? 'execute' : method,
    (native) => preparedFirst(call.prepared, native, () => attempt(call, native)),
    call.callback === undefined,
    sql,
  );
  if (call.thrown !== undefined) {
    // mysql2 throws some argument errors synchronously (execute with undefined values): so do we.
    p.catch(noop);
    throw call.thrown.err;
  }
  const handle: NativeCommand = call.cmd ?? call.given?.command ?? (call.late = new LateCommand());
  p.then(
    (results) => deliver(call, results),
    (err: unknown) => fail(call, handle, err),
  );
  return handle;
}

/** One attempt on `native`: send the call, then follow its command until the attempt is over. */
function attempt(call: PipelinedCall, native: NativeMysqlConnection): Promise<unknown[]> {
  const outcome = attemptOutcome();
  try {
    call.cmd = send(call, native, resultCallback(call, outcome));
  } catch (err) {
    call.thrown = { err };
    throw err;
  }
  const cmd = call.cmd;
  // mysql2 returns no command from a closed connection (prepare, a statement's execute): it
  // already failed the call through its callback, or through the connection's 'error'.
  if (cmd !== undefined && call.callback === undefined && call.method !== 'prepare') {
    call.held = holdUntilDecided(cmd, native, outcome);
  }
  if (cmd === undefined && call.callback === undefined) {
    // Nothing will report this call's end: fail it here.
    outcome.reject(
      new ConnectionClosedError(`${call.method}() was refused: the mysql2 connection is closed.`),
    );
  }
  if (cmd !== undefined) call.late?.attach(cmd);
  return outcome.done;
}

/**
 * mysql2's callback for an attempt: a result reaches the caller from inside it, as with mysql2
 * (no plugin changes a result; they only act on failures): same timing relative to the
 * connection's events and the next packets. A failure goes to the pipeline.
 */
function resultCallback(call: PipelinedCall, outcome: AttemptOutcome): NativeCallback {
  return (err, ...results) => {
    if (err) {
      outcome.reject(err);
      return;
    }
    try {
      deliver(call, results);
    } finally {
      outcome.resolve(results);
    }
  };
}

/** Hand the call to mysql2 on `native`, on the path its arguments choose. */
function send(
  call: PipelinedCall,
  native: NativeMysqlConnection,
  settle: NativeCallback,
): NativeCommand | undefined {
  // The callback form gives mysql2 `settle`; the emitter form gives it no callback.
  const withCallback = call.callback !== undefined ? settle : undefined;
  if (call.given !== undefined) {
    return sendCommandObject(call.given, native, call.cmd !== undefined, withCallback);
  }
  if (call.prepared !== undefined) return executeOn(call.prepared, native, call.values, withCallback);
  if (call.method === 'prepare') return native.prepare(call.sql, settle) as NativeCommand;
  if (withCallback !== undefined) {
    return sendWithCallback(native, call.method, call.sql, call.values, withCallback);
  }
  return sendWithoutCallback(native, call.method, call.sql, call.values);
}
