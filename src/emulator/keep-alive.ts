/**
 * Keeps the event loop alive while a caller awaits an emulator operation. The emulator's own
 * handles are unref'd or may all end mid-operation (engines killed by stop(), an unref'd pause
 * between two polls): an `await` whose remaining work is only such handles would let Node
 * exit with code 13 and the promise unsettled. Each awaited public operation holds one ref'd
 * interval until it settles; an idle process with everything ended still exits by itself.
 */

/** The longest delay a Node timer accepts: the interval never fires in practice. */
const HOLD_MS = 2 ** 31 - 1;

/** `work`, with the event loop held open (one ref'd interval) until it settles. */
export function keepAlive<T>(work: Promise<T>): Promise<T> {
  const hold = setInterval(() => undefined, HOLD_MS);
  return work.finally(() => clearInterval(hold));
}
