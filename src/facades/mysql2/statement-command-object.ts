/**
 * A mysql2 command object passed to `query()` (e.g. from `mysql.createQuery()`) instead of SQL:
 * aurora-ha takes over its callback to settle it, and sends it again from what the caller gave
 * when a failover resends it (mysql2 formats its SQL in place and keeps its state machine).
 */
import type { NativeMysqlConnection } from './mysql2-native.js';
import { isNativeCommand } from './query-command.js';
import type { NativeCommand } from './query-command.js';
import type { Callback } from './statement-call.js';

/** The caller's command object and its SQL and values as given. */
export interface GivenCommand {
  readonly command: NativeCommand;
  readonly sql: unknown;
  readonly values: unknown;
}

/**
 * A command object given to query(): its own callback becomes the call's (unless one was passed)
 * and is taken off it, so that aurora-ha settles the call.
 */
export function takeCommandObject(
  method: string,
  sql: unknown,
  callback: Callback | undefined,
): { given: GivenCommand | undefined; callback: Callback | undefined } {
  if (method !== 'query' || !isNativeCommand(sql)) return { given: undefined, callback };
  const cb = callback ?? sql.onResult;
  sql.onResult = undefined;
  return { given: { command: sql, sql: sql.sql, values: sql.values }, callback: cb };
}

/**
 * Send the caller's command object on `native`; `sentBefore`: an earlier attempt sent it (a
 * resend after a failover, only with a callback), so it starts again from what the caller gave.
 */
export function sendCommandObject(
  given: GivenCommand,
  native: NativeMysqlConnection,
  sentBefore: boolean,
  onResult: Callback | undefined,
): NativeCommand {
  const cmd = given.command;
  if (sentBefore) {
    cmd.sql = given.sql;
    cmd.values = given.values;
    (cmd as { next?: unknown }).next = null;
  }
  if (onResult !== undefined) cmd.onResult = onResult;
  return native.query(cmd) as NativeCommand;
}
