/**
 * Time helpers every layer uses, written once: jitter and exponential backoff, an abortable
 * sleep (`sleep` rejects on abort, `pause` resolves early), a bound on any promise
 * (`withTimeout`), and deadline arithmetic. Every timer is unref()'d, so nothing here keeps
 * Node alive on its own.
 */

/**
 * `ms` scaled by a random factor in [low, high) and rounded: spreads retries of many
 * connections so they never hit a database in step. `random` is injectable for tests.
 */
export function jittered(ms: number, low: number, high: number, random: () => number = Math.random): number {
  return Math.round(ms * (low + random() * (high - low)));
}

/**
 * Pause before retry number `attempt` (0 = first retry): `baseMs` doubling up to `maxMs`,
 * then jittered by [low, high) of that (default 50-100 %).
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  low = 0.5,
  high = 1,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 20));
  return jittered(ceiling, low, high, random);
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

/** Thrown inside a failover task when its AbortSignal fired (the other task won, or time ran out). */
export class TaskAborted extends Error {
  constructor() {
    super('failover task aborted');
    this.name = 'TaskAborted';
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new TaskAborted();
}

/** Resolve after `ms`, or reject with TaskAborted as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new TaskAborted());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new TaskAborted());
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Thrown by `withTimeout` when the bound is reached. */
export class StepTimedOut extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'StepTimedOut';
  }
}

/**
 * Bound `work` by `ms` (no bound when undefined) and by `signal`. On timeout or abort `onGiveUp`
 * runs (e.g. abort the connection the step was using) and the promise rejects; `work`'s late
 * outcome is ignored.
 */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number | undefined,
  what: string,
  signal?: AbortSignal,
  onGiveUp?: () => void,
): Promise<T> {
  if (ms === undefined && signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const giveUp = (err: Error): void => {
      if (!finish()) return;
      onGiveUp?.();
      reject(err);
    };
    const onAbort = (): void => giveUp(new TaskAborted());
    const timer =
      ms === undefined ? undefined : setTimeout(() => giveUp(new StepTimedOut(what, ms)), Math.max(0, ms));
    timer?.unref();
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        if (finish()) resolve(v);
      },
      (e: unknown) => {
        if (finish()) reject(e);
      },
    );
  });
}

/** A point in time by which the whole failover must be over. */
export class Deadline {
  readonly at: number;
  constructor(ms: number) {
    this.at = Date.now() + ms;
  }
  remaining(): number {
    return Math.max(0, this.at - Date.now());
  }
  passed(): boolean {
    return Date.now() >= this.at;
  }
  /** `ms` capped by the time left (at least 1 ms so timers stay meaningful). */
  cap(ms: number): number {
    return Math.max(1, Math.min(ms, this.remaining()));
  }
}
