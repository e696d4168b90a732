/**
 * Classification of `pg` errors by SQLSTATE / Node error code (never by message text).
 */
import type { ErrorKind, PhysicalConnection } from '../driver.js';
import {
  errorCode,
  hasSocketErrorCode,
  isCertificateError,
  isMarkedConnectionLost,
} from '../connection-lost.js';

/**
 * Connection exceptions (08) and system errors (58). Not 53 (insufficient resources, e.g. 53300
 * too_many_connections: a capacity problem, the host is alive) and not XX (internal errors):
 * neither says the instance is gone (ARCHITECTURE.md › Failover triggers).
 */
const NETWORK_SQLSTATE_CLASSES = ['08', '58'];
const NETWORK_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03']);
const LOGIN_SQLSTATES: ReadonlySet<string> = new Set(['28000', '28P01']);
const READ_ONLY_SQLSTATE = '25006';

function isSqlState(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}

/**
 * - other, first of all: a certificate verification failure (isCertificateError).
 * - network: SQLSTATE 08*, 58*, 57P01-03; socket codes; errors pg raised through
 *   its connection-lost path (marked by the physical connection, they carry no code);
 *   any uncoded error on a connection that is already closed.
 * - login: 28000 / 28P01. read-only: 25006. other: everything else.
 */
export function classifyPgError(err: unknown, conn?: PhysicalConnection): ErrorKind {
  // A refused certificate reaches pg's transport error path (and is marked lost there): the
  // server answered, it is not trusted. Not a network error.
  if (isCertificateError(err)) return 'other';
  // Socket codes first: 'EPIPE' also has the shape of an SQLSTATE.
  if (hasSocketErrorCode(err)) return 'network';
  const code = errorCode(err);
  if (code !== undefined && isSqlState(code)) {
    if (LOGIN_SQLSTATES.has(code)) return 'login';
    if (code === READ_ONLY_SQLSTATE) return 'read-only';
    if (NETWORK_SQLSTATES.has(code)) return 'network';
    if (NETWORK_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return 'network';
    return 'other';
  }
  if (isMarkedConnectionLost(err)) return 'network';
  // pg raises code-less errors ("... is not queryable", "Connection terminated") for calls
  // made after its socket closed: on a closed connection an uncoded error is a network one.
  if (code === undefined && conn?.closed === true) return 'network';
  return 'other';
}
