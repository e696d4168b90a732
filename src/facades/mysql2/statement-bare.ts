/**
 * The fast path of the statement dispatch: a call with no plugin on its method, on an open
 * connection, is handed to mysql2 as it is — mysql2's own command is returned and its callback
 * is the caller's, as with mysql2.
 */
import type { NativeMysqlConnection } from './mysql2-native.js';
import type { NativeCommand } from './query-command.js';
import type { PreparedStatement } from './prepared-statement.js';
import type { Callback, StatementMethod } from './statement-call.js';
import { PREPARE_FIRST, bareExecute } from './statement-prepared.js';

/** The call handed to mysql2; `PREPARE_FIRST`: a prepared statement to prepare on `native` first. */
export function sendBare(
  native: NativeMysqlConnection,
  method: StatementMethod,
  sql: unknown,
  values: unknown,
  callback: Callback | undefined,
  prepared: PreparedStatement | undefined,
): NativeCommand | typeof PREPARE_FIRST {
  if (prepared !== undefined) return bareExecute(prepared, native, values, callback);
  if (method === 'prepare') return native.prepare(sql, values ?? callback) as NativeCommand;
  return (
    values === undefined ? native[method](sql, callback) : native[method](sql, values, callback)
  ) as NativeCommand;
}
