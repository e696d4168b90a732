/**
 * Small helpers the dialects share to ask one question of a connection: the first value of
 * a query, or "no" when the query fails (a missing function or table only means the server
 * is not of that flavour).
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import { toBoolean } from './topology-rows.js';

export async function firstValue(conn: PhysicalConnection, sql: string): Promise<unknown> {
  const rows = await conn.queryRows(sql);
  return rows[0]?.[0];
}

/** Rows of `sql`, or undefined when the query fails. */
export async function rowsOrUndefined(
  conn: PhysicalConnection,
  sql: string,
): Promise<unknown[][] | undefined> {
  try {
    return await conn.queryRows(sql);
  } catch {
    return undefined;
  }
}

/** True when `sql` runs and returns at least one row whose first value is truthy. */
export async function answersYes(conn: PhysicalConnection, sql: string): Promise<boolean> {
  const rows = await rowsOrUndefined(conn, sql);
  return rows !== undefined && rows.length > 0 && toBoolean(rows[0]?.[0]);
}

/** True when `sql` runs and returns at least one row. */
export async function returnsRow(conn: PhysicalConnection, sql: string): Promise<boolean> {
  const rows = await rowsOrUndefined(conn, sql);
  return rows !== undefined && rows.length > 0;
}

/**
 * True when `sql` returns at least one row. Unlike `returnsRow`, a failing query rejects: a
 * question that could not be asked (a failed transaction, a lost connection) has no answer.
 */
export async function hasRow(conn: PhysicalConnection, sql: string): Promise<boolean> {
  return (await conn.queryRows(sql)).length > 0;
}
