/**
 * The state of one callback-style mysql2 Connection, under a symbol key: shared by connection.ts
 * and its statement dispatch (statement*.ts), invisible to code enumerating string keys.
 */
import type { MysqlLogical, NativeMysqlConnection } from './mysql2-native.js';
import type { NativeStatement, PreparedStatement } from './prepared-statement.js';

/** The key of a Connection's state. */
export const STATE: unique symbol = Symbol('aurora-ha.mysql2.connection');

export interface ConnectionState {
  readonly logical: MysqlLogical;
  endEmitted: boolean;
  closeCalled?: boolean;
  pendingConfig?: Record<string, unknown>;
  /** The last mysql2 connection used (kept after it closed, as mysql2's state is read from it). */
  lastNative?: NativeMysqlConnection;
  /** Our handle of each mysql2 prepared statement (mysql2 hands out its cached one again). */
  handles?: WeakMap<NativeStatement, PreparedStatement>;
}
