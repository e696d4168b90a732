/**
 * Classification of `mysql2` errors by errno / code (never by message text).
 */
import type { ErrorKind, PhysicalConnection } from '../driver.js';
import {
  errorCode,
  hasSocketErrorCode,
  isCertificateError,
  isMarkedConnectionLost,
} from '../connection-lost.js';

/**
 * Client-side "server gone" numbers (2002 can't connect socket, 2003 can't connect TCP,
 * 2006 server gone away, 2013 lost during query, 2055 lost at handshake) and server errors
 * meaning the session is being killed: 1053 shutdown in progress, 1077-1080 shutdown,
 * 1152 aborted connection, 1927 MariaDB ER_CONNECTION_KILLED, 3169 MySQL session killed,
 * 4031 MySQL idle disconnect. Not 1040 too many connections: a capacity problem on a live
 * instance, like PG's SQLSTATE class 53 (ARCHITECTURE.md › Failover triggers).
 */
const NETWORK_ERRNOS: ReadonlySet<number> = new Set([
  2002, 2003, 2006, 2013, 2055, 1053, 1077, 1078, 1079, 1080, 1152, 1927, 3169, 4031,
]);
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'PROTOCOL_UNEXPECTED_PACKET',
]);
/**
 * mysql2's per-query `timeout` (PROTOCOL_SEQUENCE_TIMEOUT):
 * a slow query, not a dead host. Never a failover trigger, whatever else the error says.
 */
const SLOW_QUERY_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';
const LOGIN_ERRNOS: ReadonlySet<number> = new Set([1045]);
/** 1290 ER_OPTION_PREVENTS_STATEMENT (--read-only), 1836 ER_READ_ONLY_MODE. */
const READ_ONLY_ERRNOS: ReadonlySet<number> = new Set([1290, 1836]);

function errno(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const n = (err as { errno?: unknown }).errno;
  return typeof n === 'number' ? n : undefined;
}

function isFatal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { fatal?: unknown }).fatal === true;
}

/**
 * - other, first of all: a certificate verification failure (isCertificateError), which
 *   mysql2 reports as a fatal HANDSHAKE_SSL_ERROR: the server answered, it is not trusted.
 * - login: 1045. read-only: 1290 / 1836.
 * - network: the errnos above, PROTOCOL_* connection codes, socket codes, and any error
 *   mysql2 flags `fatal` (it only does so when the connection cannot be used any more),
 *   errors marked lost by the physical connection, uncoded errors on a closed connection.
 * - other: everything else.
 */
export function classifyMysql2Error(err: unknown, conn?: PhysicalConnection): ErrorKind {
  // A refused certificate (mysql2 flags it fatal): the host is up, trust is missing.
  if (isCertificateError(err)) return 'other';
  const n = errno(err);
  if (n !== undefined && LOGIN_ERRNOS.has(n)) return 'login';
  if (n !== undefined && READ_ONLY_ERRNOS.has(n)) return 'read-only';
  if (n !== undefined && NETWORK_ERRNOS.has(n)) return 'network';
  const code = errorCode(err);
  if (code === SLOW_QUERY_CODE) return 'other';
  if (code !== undefined && NETWORK_CODES.has(code)) return 'network';
  if (hasSocketErrorCode(err)) return 'network';
  if (isFatal(err) || isMarkedConnectionLost(err)) return 'network';
  if (code === undefined && n === undefined && conn?.closed === true) return 'network';
  return 'other';
}
