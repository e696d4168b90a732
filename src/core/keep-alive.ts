/**
 * Keeps the event loop alive while a caller awaits an operation whose pending work may be only
 * unref'd handles: aurora-ha's pauses and bounds are unref'd (an idle process must exit by
 * itself), and an emulator operation may outlive the engines it killed. An `await` whose
 * remaining work is only such handles would let Node exit (code 13 for a top-level await) with
 * the promise unsettled and the rest of the script silently skipped. Each awaited operation —
 * an emulator method, a connect through the plugins, a failover — holds one ref'd interval until
 * it settles. Never used per query: a query in flight has its socket.
 */

/** The longest delay a Node timer accepts: the interval never fires in practice. */
const HOLD_MS = 2 ** 31 - 1;

/** `work`, with the event loop held open (one ref'd interval) until it settles. */
export function keepAlive<T>(work: Promise<T>): Promise<T> {
  const hold = setInterval(() => undefined, HOLD_MS);
  return work.finally(() => clearInterval(hold));
}
