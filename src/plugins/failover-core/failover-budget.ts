/**
 * The time budget of one failover (v1 and v2 alike): one deadline, started the moment the
 * failover starts, and one abort signal that fires when it passes or the logical connection
 * ends. Every step of the failover (rollback, search, connects, topology refresh, session
 * restore) takes its bound from this deadline, and `settle` answers the caller by the deadline
 * even when a step overruns it: what finishes later is cleaned up in the background, never
 * awaited (a graceful close of a silent socket must not hold a failed call).
 */
import { FailoverFailedError } from '../../core/errors.js';
import { Deadline } from '../../core/time.js';

/** Why a budget stopped the failover. */
export type BudgetEnd = 'timeout' | 'released';

/** Rejection of `settle` when the deadline passed first (wrapped into FailoverFailedError by the plugin). */
export class FailoverTimeoutReached extends Error {
  constructor(ms: number) {
    super(`its deadline (${ms} ms) passed before a replacement was in place`);
    this.name = 'FailoverTimeoutReached';
  }
}

export class FailoverBudget {
  readonly deadline: Deadline;
  private readonly ctl = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private end: BudgetEnd | undefined;
  /** Set once the replacement is in place: from then on nothing may cut the failover short. */
  private committed = false;
  private readonly onReleased = (): void => this.stop('released');

  constructor(
    private readonly timeoutMs: number,
    private readonly released: AbortSignal,
  ) {
    this.deadline = new Deadline(timeoutMs);
    this.timer = setTimeout(() => this.stop('timeout'), timeoutMs);
    this.timer.unref();
    if (released.aborted) this.stop('released');
    else released.addEventListener('abort', this.onReleased, { once: true });
  }

  /** Fires when the deadline passed or the logical connection ended. */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** Why the budget stopped, if it did. */
  get ended(): BudgetEnd | undefined {
    return this.end;
  }

  /** The replacement is in place: a deadline passing now changes nothing. */
  commit(): void {
    this.committed = true;
  }

  /**
   * `work`'s outcome, or a rejection as soon as the budget stops (unless already committed).
   * A result that arrives after that is handed to `late` (to be closed); a late rejection is
   * ignored. The rejection waits one event-loop turn for `work`'s own error (usually more
   * telling, e.g. which host did not answer), which aborting the signal settles at once.
   */
  settle<T>(work: Promise<T>, late: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onStop = (): void => {
        if (done || this.committed) return;
        setImmediate(() => {
          if (done || this.committed) return;
          done = true;
          reject(this.stopError());
        });
      };
      work.then(
        (v) => {
          if (done) {
            late(v);
            return;
          }
          done = true;
          this.ctl.signal.removeEventListener('abort', onStop);
          resolve(v);
        },
        (e: unknown) => {
          if (done) return;
          done = true;
          this.ctl.signal.removeEventListener('abort', onStop);
          reject(e);
        },
      );
      if (this.ctl.signal.aborted) onStop();
      else this.ctl.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  /** Clear the timer and the listener (the failover is over either way). */
  dispose(): void {
    clearTimeout(this.timer);
    this.released.removeEventListener('abort', this.onReleased);
  }

  /** The error a failover stopped by this budget ends with. */
  stopError(cause?: unknown): Error {
    return this.end === 'released'
      ? new FailoverFailedError('the connection was ended during failover', { cause })
      : new FailoverTimeoutReached(this.timeoutMs);
  }

  private stop(end: BudgetEnd): void {
    if (this.end !== undefined) return;
    this.end = end;
    clearTimeout(this.timer);
    this.ctl.abort();
  }
}
