/**
 * What the caller of a pipelined statement call hears once the pipeline decided: the results
 * (once, before any later failure), or the failure — to a pool's not-sent hook when the call
 * never reached a server, else through the callback form or the event-emitter form.
 */
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../core/errors.js';
import type { NativeCommand } from './query-command.js';
import type { PipelinedCall } from './statement-call.js';
import { handOutStatement } from './statement-prepared.js';
import { failCallback } from './statement-callback.js';
import { failEmitter } from './statement-emitter.js';

/** Our failover error saying the statement never reached a server (ARCHITECTURE.md › Idle loss). */
export function isNotSent(err: unknown): err is Error {
  return (
    (err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError) &&
    err.statementSent === false
  );
}

/**
 * The call's results, delivered once: `settled` first (a pool releases the connection), then
 * the callback. Called from inside mysql2's callback when there is one, else when the run ended.
 */
export function deliver(call: PipelinedCall, results: unknown[]): void {
  if (call.delivered) return;
  call.delivered = true;
  call.settled?.();
  handOutStatement(call, results);
  if (call.callback !== undefined) call.callback(null, ...results);
}

/** The pipeline failed the call (ignored once its results were delivered). */
export function fail(call: PipelinedCall, handle: NativeCommand, err: unknown): void {
  if (call.delivered) return;
  if (call.cmd === undefined && call.notSent !== undefined && isNotSent(err)) {
    call.notSent(err);
    return;
  }
  if (call.callback !== undefined) failCallback(call, call.callback, handle, err);
  else failEmitter(call, handle, err);
}
