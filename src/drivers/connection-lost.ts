/**
 * Error codes and marks shared by the driver adapters to recognise a lost connection
 * without reading message text.
 *
 * Some driver errors carry no code at all (pg's "Connection terminated unexpectedly",
 * "Client has encountered a connection error and is not queryable"). We identify them
 * structurally instead: an adapter marks every error its driver reports through the
 * connection-level `error` / `end` path (the socket is gone), and an error raised while
 * the physical connection is already closed is a network error too.
 */

/** Node socket / DNS error codes meaning "this host cannot be reached / the socket died". */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  // DNS: an instance name that does not resolve (yet) is unreachable, not an SQL error.
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * OpenSSL's certificate verification results as Node reports them in `code` (X509_V_ERR_*
 * without the prefix), and Node's own hostname check. A certificate error says the peer is
 * not the server the client was told to trust: nothing a retry, a reconnect or a failover can
 * fix, and never a sign that the host is down.
 */
export const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'EMAIL_MISMATCH',
  'IP_ADDRESS_MISMATCH',
]);

/** Node's code of an error whose `code` a driver replaced (mysql2's HANDSHAKE_SSL_ERROR). */
const originalCodes = new WeakMap<object, string>();

/** Record the code `err` had before a driver overwrote it (see mysql2-tls.ts). */
export function rememberOriginalCode(err: unknown, code: string): void {
  if (typeof err === 'object' && err !== null && !originalCodes.has(err)) originalCodes.set(err, code);
}

/** The code `err` had before a driver overwrote it, else its current code. */
export function originalErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const original = originalCodes.get(err);
    if (original !== undefined) return original;
  }
  return errorCode(err);
}

/**
 * The certificate verification failure in `err` or in the errors it wraps (`cause`, a few
 * levels), decided by Node's code (pg passes Node's error through; mysql2 overwrites the code,
 * which its adapter records first); undefined when there is none.
 */
export function certificateErrorIn(err: unknown): unknown {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = originalErrorCode(current);
    if (code !== undefined && CERTIFICATE_ERROR_CODES.has(code)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `err`, or an error it wraps, is a certificate verification failure. */
export function isCertificateError(err: unknown): boolean {
  return certificateErrorIn(err) !== undefined;
}

/** Weak: marks live as long as the error objects themselves. */
const lostConnectionErrors = new WeakSet<object>();

/** Record that `err` was reported because the driver's socket is gone. */
export function markConnectionLost(err: unknown): void {
  if (typeof err === 'object' && err !== null) lostConnectionErrors.add(err);
}

export function isMarkedConnectionLost(err: unknown): boolean {
  return typeof err === 'object' && err !== null && lostConnectionErrors.has(err);
}

/** The `code` property of an error-like value, when it is a string. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `err` (or, for Node's happy-eyeballs `AggregateError`, one of its inner
 * errors) carries a socket error code.
 */
export function hasSocketErrorCode(err: unknown): boolean {
  const code = originalErrorCode(err);
  if (code !== undefined && SOCKET_ERROR_CODES.has(code)) return true;
  if (err instanceof AggregateError) return err.errors.some((inner) => hasSocketErrorCode(inner));
  return false;
}

/** An error with a Node-style code, used for our own connect/query timeouts. */
export function timeoutError(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

/**
 * A connect that timed out: ours (`ETIMEDOUT`, timeoutError), mysql2's connectTimeout
 * (`ETIMEDOUT`) or pg's connectionTimeoutMillis ("timeout expired", no code), anywhere in the
 * cause chain. On a host known to be alive it means its login queue is longer than the timeout.
 */
export function isConnectTimeout(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if ((e as { code?: unknown }).code === 'ETIMEDOUT' || e.message === 'timeout expired') return true;
    e = e.cause;
  }
  return false;
}

/** The error an aborted connect rejects with. */
export function abortError(message: string, reason: unknown): Error & { code: string } {
  return Object.assign(new Error(message, { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Tell every listener that a connection was lost; a listener that throws cannot silence the others. */
export function notifyLoss(listeners: readonly ((err: Error) => void)[], err: Error): void {
  for (const listener of listeners) {
    try {
      listener(err);
    } catch {
      // a listener's failure must not prevent the others from hearing about it
    }
  }
}

/** Wait for `work` to settle (either way), but no longer than `ms` (graceful close with a bound). */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([work.then(noop, noop), grace]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
