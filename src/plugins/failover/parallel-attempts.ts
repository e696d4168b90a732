/**
 * Try candidates in small parallel batches: the first attempt of a batch that succeeds wins,
 * the others are cancelled and whatever they opened is closed (by the attempt's own cleanup).
 */
import { TaskAborted, throwIfAborted } from './failover-timing.js';

export type Attempt<H, R> = (candidate: H, signal: AbortSignal) => Promise<R>;

/**
 * Returns the first success, or undefined when every candidate failed. Rejects with
 * TaskAborted when `signal` fires. `discard` receives a success that lost a race.
 */
export async function firstSuccessful<H, R>(
  candidates: readonly H[],
  batchSize: number,
  attempt: Attempt<H, R>,
  signal: AbortSignal,
  discard: (lateWinner: R) => void,
): Promise<R | undefined> {
  for (let i = 0; i < candidates.length; i += batchSize) {
    throwIfAborted(signal);
    const batch = candidates.slice(i, i + batchSize);
    const winner = await raceBatch(batch, attempt, signal, discard);
    if (winner !== undefined) return winner;
  }
  throwIfAborted(signal);
  return undefined;
}

function raceBatch<H, R>(
  batch: readonly H[],
  attempt: Attempt<H, R>,
  signal: AbortSignal,
  discard: (lateWinner: R) => void,
): Promise<R | undefined> {
  const batchAbort = new AbortController();
  const onOuterAbort = (): void => batchAbort.abort();
  signal.addEventListener('abort', onOuterAbort, { once: true });
  return new Promise<R | undefined>((resolve, reject) => {
    let pending = batch.length;
    let won = false;
    const settleOne = (): void => {
      pending -= 1;
      if (pending === 0 && !won) {
        signal.removeEventListener('abort', onOuterAbort);
        if (signal.aborted) reject(new TaskAborted());
        else resolve(undefined);
      }
    };
    for (const candidate of batch) {
      attempt(candidate, batchAbort.signal).then(
        (result) => {
          if (won || signal.aborted) {
            discard(result);
          } else {
            won = true;
            signal.removeEventListener('abort', onOuterAbort);
            batchAbort.abort();
            resolve(result);
          }
          settleOne();
        },
        () => settleOne(),
      );
    }
  });
}
