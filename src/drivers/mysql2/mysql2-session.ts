/**
 * MySQL / MariaDB session state: autocommit, read-only, isolation level, current database.
 * Read in one round trip; restored with one SET (validated literals) plus a `USE` with a
 * backtick-quoted identifier. Variable names depend on the server: MariaDB (10.x) and MySQL
 * before 5.7.20 know `tx_read_only` / `tx_isolation`, MySQL 8 only `transaction_*`.
 */
import type { SessionState } from '../driver.js';
import { ConfigurationError } from '../../core/errors.js';

export const ISOLATION_LEVELS = [
  'read uncommitted',
  'read committed',
  'repeatable read',
  'serializable',
] as const;

export interface TxVariableNames {
  readOnly: string;
  isolation: string;
}

function versionAtLeast(version: string, major: number, minor: number, patch: number): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) return true;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  const wanted = [major, minor, patch];
  for (let i = 0; i < 3; i++) {
    if (parts[i] !== wanted[i]) return (parts[i] ?? 0) > (wanted[i] ?? 0);
  }
  return true;
}

export function txVariableNames(serverVersion: string): TxVariableNames {
  const legacy = /mariadb/i.test(serverVersion) || !versionAtLeast(serverVersion, 5, 7, 20);
  return legacy
    ? { readOnly: 'tx_read_only', isolation: 'tx_isolation' }
    : { readOnly: 'transaction_read_only', isolation: 'transaction_isolation' };
}

export function readSessionSql(names: TxVariableNames): string {
  return `SELECT @@session.autocommit, @@session.${names.readOnly}, @@session.${names.isolation}, DATABASE()`;
}

/** `REPEATABLE-READ` / `repeatable read` → `repeatable read`; anything else is rejected. */
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

function asFlag(value: unknown): boolean | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return value === '1' || value.toUpperCase() === 'ON';
  return undefined;
}

export function parseSessionRow(row: readonly unknown[] | undefined): SessionState {
  if (row === undefined) return {};
  const [autocommit, readOnly, isolation, schema] = row;
  const state: SessionState = {};
  const ac = asFlag(autocommit);
  if (ac !== undefined) state.autocommit = ac;
  const ro = asFlag(readOnly);
  if (ro !== undefined) state.readOnly = ro;
  if (typeof isolation === 'string') state.isolationLevel = normalizeIsolationLevel(isolation);
  if (typeof schema === 'string') state.schema = schema;
  return state;
}

/** A tracked variable's value as an SQL literal: numbers bare (numeric variables reject strings), else quoted. */
export function sqlValue(value: string): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** Statements restoring `state`, each a separate round trip (no multi-statement mode needed). */
export function restoreSessionStatements(state: SessionState, names: TxVariableNames): string[] {
  const assignments: string[] = [];
  if (state.autocommit !== undefined) assignments.push(`@@session.autocommit = ${state.autocommit ? 1 : 0}`);
  if (state.readOnly !== undefined)
    assignments.push(`@@session.${names.readOnly} = ${state.readOnly ? 1 : 0}`);
  if (state.isolationLevel !== undefined) {
    const level = normalizeIsolationLevel(state.isolationLevel).toUpperCase().replace(' ', '-');
    assignments.push(`@@session.${names.isolation} = '${level}'`);
  }
  for (const [name, value] of Object.entries(state.parameters ?? {})) {
    // Names come from the server's own tracking; anything odd is skipped, never interpolated.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    assignments.push(`@@session.${name} = ${sqlValue(value)}`);
  }
  const statements: string[] = [];
  if (assignments.length > 0) statements.push(`SET ${assignments.join(', ')}`);
  if (state.schema !== undefined && state.schema !== '')
    statements.push(`USE ${quoteIdentifier(state.schema)}`);
  return statements;
}
