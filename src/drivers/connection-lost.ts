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

/** Weak: marks live only as long as the error objects themselves. */
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
  const code = errorCode(err);
  if (code !== undefined && SOCKET_ERROR_CODES.has(code)) return true;
  if (err instanceof AggregateError) return err.errors.some((inner) => hasSocketErrorCode(inner));
  return false;
}

/** An error with a Node-style code, used for our own connect/query timeouts. */
export function timeoutError(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
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
