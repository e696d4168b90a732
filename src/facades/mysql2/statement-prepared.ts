/**
 * The prepared-statement path of the statement dispatch: a handle's `execute()` on the mysql2
 * connection in use (straight to mysql2's statement when it was prepared there, else prepared
 * again there first, through the pipeline), and the handle `prepare()` hands out when a pipeline
 * runs it (one that survives a failover).
 */
import type { NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import type { NativeCommand } from './query-command.js';
import type { NativeStatement, PreparedStatement } from './prepared-statement.js';
import type { PipelinedCall } from './statement-call.js';

/** `bareExecute`'s answer when the statement must be prepared on this connection first. */
export const PREPARE_FIRST: unique symbol = Symbol('aurora-ha.mysql2.prepare-first');

/**
 * The fast path: mysql2's own statement executes at once when it was prepared on `native`.
 * Otherwise (prepared on a connection a failover replaced) its preparing there has begun, and
 * the call goes through the pipeline.
 */
export function bareExecute(
  prepared: PreparedStatement,
  native: NativeMysqlConnection,
  values: unknown,
  callback: NativeCallback | undefined,
): NativeCommand | typeof PREPARE_FIRST {
  const info = prepared.on(native);
  if (info instanceof Promise) return PREPARE_FIRST;
  return info.execute(values, callback) as NativeCommand;
}

/** `send` once the statement (if any) is prepared on `native`: prepared again there first when needed. */
export function preparedFirst(
  prepared: PreparedStatement | undefined,
  native: NativeMysqlConnection,
  send: () => Promise<unknown[]>,
): Promise<unknown[]> {
  const ready = prepared?.on(native);
  return ready instanceof Promise ? ready.then(send) : send();
}

/** Execute the statement on `native`, where `preparedFirst` prepared it; no callback: emitter form. */
export function executeOn(
  prepared: PreparedStatement,
  native: NativeMysqlConnection,
  values: unknown,
  settle: NativeCallback | undefined,
): NativeCommand {
  const info = prepared.on(native) as NativeStatement;
  return (settle !== undefined ? info.execute(values, settle) : info.execute(values)) as NativeCommand;
}

/** With a pipeline on prepare() (failover possible), the handle given is one that survives a failover. */
export function handOutStatement(call: PipelinedCall, results: unknown[]): void {
  if (call.method === 'prepare' && !call.logical.bare.prepare && results[0] !== undefined) {
    results[0] = call.host.statementHandle(results[0] as NativeStatement, call.sql);
  }
}
