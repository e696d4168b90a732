/**
 * Time helpers of the topology monitor: retry pauses with exponential backoff and jitter,
 * a sleep that an abort signal ends early, and a bound on any promise. Every timer is
 * unref()'d, so the monitor never keeps a process alive.
 */

/**
 * Pause before retry number `attempt` (0 = first retry): `baseMs` doubling up to `maxMs`,
 * then a random 50-100 % of that, so probes and reconnects of many connections spread out.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** Resolve after `ms`, or earlier (never rejecting) as soon as `signal` fires. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Thrown by `bounded` when the bound is reached. */
export class MonitorStepTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'MonitorStepTimeout';
  }
}

/** Bound `work` by `ms`; on timeout `onTimeout` runs (e.g. abort the connection) and it rejects. */
export function bounded<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      onTimeout?.();
      reject(new MonitorStepTimeout(what, ms));
    }, ms);
    timer.unref();
    work.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
