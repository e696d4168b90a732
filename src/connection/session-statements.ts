/**
 * Which statements leave state in their session, for `retryReadsOnFailover` (docs/read-scaling.md):
 * a read that failed with its reader is sent again on another connection only when the failed
 * session held nothing of its own. The facades call `noteStatement` with the text of every
 * statement sent on a watched connection (a reader's, `watchSession` set by the failover plugin;
 * one property read otherwise). The test is deliberately wide: a false alarm only means the
 * failover error of today (the application handles it anyway); a missed state change would mean
 * rows from the wrong schema, time zone or role, so every word that can start one counts:
 * - settings: `SET` (PG `SET`/`SET ROLE`/`SET SESSION AUTHORIZATION`, MySQL `SET`, `SET NAMES`,
 *   `SET @v`), `RESET`, `set_config()`, `USE`, `DISCARD`, `LOAD`;
 * - MySQL user variables assigned in a query (`@v :=`, `INTO @v`);
 * - objects of the session: temporary tables, `PREPARE` / `DEALLOCATE`, cursors (`DECLARE`,
 *   `FETCH`, `MOVE`, `CURSOR`);
 * - what binds the session: advisory locks (`pg_advisory_lock` …, MySQL `GET_LOCK`,
 *   `LOCK TABLES`), `LISTEN`.
 * Words inside string literals or identifiers count too (a false alarm, never a miss).
 */
import type { PhysicalConnection } from '../drivers/driver.js';

const SESSION_WORDS =
  /\b(?:set|reset|set_config|use|discard|load|temp|temporary|prepare|deallocate|declare|fetch|move|cursor|listen|lock|get_lock|pg_(?:try_)?advisory(?:_xact)?_lock(?:_shared)?)\b|@\w+\s*:=|\binto\s+@/i;

/** Whether `text` may change or bind its session's state (see the module comment). */
export function touchesSession(text: string): boolean {
  return SESSION_WORDS.test(text);
}

/** The SQL text of a driver call's first argument: a string, or pg's `{ text }` / mysql2's `{ sql }`. */
function textOf(statement: unknown): string | undefined {
  if (typeof statement === 'string') return statement;
  if (typeof statement !== 'object' || statement === null) return undefined;
  const s = statement as { text?: unknown; sql?: unknown };
  if (typeof s.text === 'string') return s.text;
  if (typeof s.sql === 'string') return s.sql;
  return undefined;
}

/**
 * A statement is being sent on `conn`: when the connection is watched, mark its session touched
 * if the statement may change it (a statement whose text cannot be read counts as touching).
 */
export function noteStatement(conn: PhysicalConnection | undefined, statement: unknown): void {
  if (conn === undefined || conn.watchSession !== true || conn.sessionTouched === true) return;
  const text = textOf(statement);
  if (text === undefined || touchesSession(text)) conn.sessionTouched = true;
}

/** A call that changes the session outside SQL text (mysql2 `changeUser`). */
export function touchSession(conn: PhysicalConnection | undefined): void {
  if (conn?.watchSession === true) conn.sessionTouched = true;
}
