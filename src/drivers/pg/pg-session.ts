/**
 * PostgreSQL session state: read in one round trip, restored in one round trip with
 * literals and identifiers quoted. PG has no autocommit switch, so autocommit is ignored.
 *
 * We read the session defaults (`default_transaction_isolation`,
 * `default_transaction_read_only`) rather than `transaction_*`: those are what
 * `SET SESSION CHARACTERISTICS` changes, and inside a `BEGIN ISOLATION LEVEL ...`
 * transaction `transaction_isolation` describes only that transaction.
 */
import pg from 'pg';
import type { SessionState } from '../driver.js';
import { ConfigurationError } from '../../core/errors.js';

export const READ_SESSION_SQL =
  "SELECT current_setting('default_transaction_read_only'), current_setting('default_transaction_isolation'), current_schema(), current_setting('search_path')";

export const ISOLATION_LEVELS = [
  'read uncommitted',
  'read committed',
  'repeatable read',
  'serializable',
] as const;

export function normalizeIsolationLevel(level: string): string {
  const normalized = level
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
  if (!(ISOLATION_LEVELS as readonly string[]).includes(normalized)) {
    throw new ConfigurationError(
      'isolationLevel',
      `Unknown transaction isolation level "${level}"; expected one of ${ISOLATION_LEVELS.join(', ')}`,
      ISOLATION_LEVELS,
    );
  }
  return normalized;
}

export function parseSessionRow(row: readonly unknown[] | undefined): SessionState {
  if (row === undefined) return {};
  const [readOnly, isolation, schema, searchPath] = row;
  const state: SessionState = {};
  if (typeof readOnly === 'string') state.readOnly = readOnly === 'on';
  if (typeof isolation === 'string') state.isolationLevel = isolation;
  if (typeof schema === 'string') state.schema = schema;
  if (typeof searchPath === 'string') state.searchPath = searchPath;
  return state;
}

/** The statements restoring `state`, joined for a single simple-protocol round trip ('' when nothing to do). */
export function restoreSessionSql(state: SessionState): string {
  const statements: string[] = [];
  const characteristics: string[] = [];
  if (state.isolationLevel !== undefined) {
    characteristics.push(`ISOLATION LEVEL ${normalizeIsolationLevel(state.isolationLevel).toUpperCase()}`);
  }
  if (state.readOnly !== undefined) characteristics.push(state.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (characteristics.length > 0) {
    statements.push(`SET SESSION CHARACTERISTICS AS TRANSACTION ${characteristics.join(', ')}`);
  }
  for (const [name, value] of Object.entries(state.parameters ?? {})) {
    statements.push(
      `SELECT pg_catalog.set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, false)`,
    );
  }
  if (state.searchPath !== undefined) {
    statements.push(
      `SELECT pg_catalog.set_config('search_path', ${pg.escapeLiteral(state.searchPath)}, false)`,
    );
  } else if (state.schema !== undefined) {
    statements.push(`SET search_path TO ${pg.escapeIdentifier(state.schema)}`);
  }
  return statements.join('; ');
}
