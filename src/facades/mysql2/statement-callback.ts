/**
 * The callback form of a pipelined statement call: mysql2 gets aurora-ha's result callback (a
 * result reaches the caller from inside mysql2's own callback, as with mysql2), and a failure
 * reaches the caller's callback before the command ends, as with mysql2.
 */
import type { NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import type { NativeCommand } from './query-command.js';
import type { PipelinedCall } from './statement-call.js';

/** query / execute with aurora-ha's result callback (`settle`) in place of the caller's. */
export function sendWithCallback(
  native: NativeMysqlConnection,
  method: 'query' | 'execute',
  sql: unknown,
  values: unknown,
  settle: NativeCallback,
): NativeCommand {
  return (
    values === undefined ? native[method](sql, settle) : native[method](sql, values, settle)
  ) as NativeCommand;
}

/**
 * The pipeline failed the call: the callback gets the error before the command ends (and a pool
 * releases the connection: `settled`); mysql2 ends a command after its callback, one that never
 * reached mysql2 is ended here.
 */
export function failCallback(
  call: PipelinedCall,
  callback: NativeCallback,
  handle: NativeCommand,
  err: unknown,
): void {
  callback(err as Error);
  call.settled?.(err);
  if (call.cmd === undefined) handle.emit('end');
}
