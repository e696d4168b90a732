/**
 * A short, stable label for an error seen by a worker ("FailoverSuccessError",
 * "25006 read-only", "ECONNREFUSED", …), used to count errors by type in the reports.
 * Labels only: the library itself classifies by code, never by message.
 */
import { AuroraHaError } from '../../src/index.js';

const KNOWN_CODES: Readonly<Record<string, string>> = {
  '25006': 'read-only transaction',
  '57P01': 'admin shutdown',
  '57P02': 'crash shutdown',
  '57P03': 'cannot connect now',
  '08006': 'connection failure',
  '08001': 'unable to connect',
  '08P01': 'protocol violation',
  ER_OPTION_PREVENTS_STATEMENT: 'read-only (1290)',
  ER_READ_ONLY_MODE: 'read-only (1836)',
  ER_CON_COUNT_ERROR: 'too many connections',
  ER_SERVER_SHUTDOWN: 'server shutdown',
  PROTOCOL_CONNECTION_LOST: 'connection lost',
};

/** Message fragments of `pg` errors that carry no code. */
const PG_MESSAGES: readonly (readonly [RegExp, string])[] = [
  [/terminated due to connection timeout/i, 'connect timeout'],
  [/terminated unexpectedly/i, 'connection terminated'],
  [/not queryable/i, 'client not queryable'],
];

export function errorKind(err: unknown): string {
  if (err instanceof AuroraHaError) return err.name;
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') {
      const known = KNOWN_CODES[code];
      return known === undefined ? code : `${code} ${known}`;
    }
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') {
      for (const [pattern, label] of PG_MESSAGES) if (pattern.test(message)) return label;
      return message.length > 60 ? `${message.slice(0, 60)}…` : message;
    }
  }
  return String(err);
}
