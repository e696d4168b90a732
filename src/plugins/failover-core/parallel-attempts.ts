/**
 * Try candidates with a small number of attempts in flight (a sliding window): when an attempt
 * fails the next candidate starts at once, so one silent host never holds a slot the others
 * could use. The first success wins; the attempts still running are cancelled through their
 * AbortSignal, and a success that arrives late is handed to `discard` (to be closed). An
 * attempt failing with a FailoverFailedError (a refused certificate, certificate-stop.ts) ends
 * everything at once with that error.
 */
import { endsFailover } from './certificate-stop.js';
import { TaskAborted } from '../../core/time.js';

export type Attempt<H, R> = (candidate: H, signal: AbortSignal) => Promise<R>;

/**
 * Resolves with the first success, or undefined when every candidate failed. Rejects with
 * TaskAborted when `signal` fires first, and with an attempt's FailoverFailedError.
 */
export function firstSuccessful<H, R>(
  candidates: readonly H[],
  width: number,
  attempt: Attempt<H, R>,
  signal: AbortSignal,
  discard: (lateWinner: R) => void,
): Promise<R | undefined> {
  return new Promise<R | undefined>((resolve, reject) => {
    if (signal.aborted) {
      reject(new TaskAborted());
      return;
    }
    const cancelRest = new AbortController();
    let next = 0;
    let running = 0;
    let decided = false;
    const decide = (): void => {
      decided = true;
      signal.removeEventListener('abort', onAbort);
      cancelRest.abort();
    };
    const onAbort = (): void => {
      if (decided) return;
      decide();
      reject(new TaskAborted());
    };
    const launch = (): void => {
      while (!decided && running < width && next < candidates.length) {
        const candidate = candidates[next++] as H;
        running++;
        attempt(candidate, cancelRest.signal).then(
          (result) => {
            running--;
            if (decided) {
              discard(result);
              return;
            }
            decide();
            resolve(result);
          },
          (err: unknown) => {
            running--;
            if (decided) return;
            if (endsFailover(err)) {
              decide();
              reject(err);
            } else if (next >= candidates.length && running === 0) {
              decide();
              resolve(undefined);
            } else {
              launch();
            }
          },
        );
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (candidates.length === 0) {
      decide();
      resolve(undefined);
      return;
    }
    launch();
  });
}
