/**
 * A process-wide cap on failover reconnects in flight to one instance
 * (`failoverReconnectConcurrency`). A freshly promoted writer takes logins at its own rate
 * (PostgreSQL's postmaster starts one backend at a time); N connections reconnecting at once put
 * N logins in its queue, and every login that outwaits the application's connect timeout is
 * abandoned after the server did part of the work, then retried at the back of the queue. When N
 * exceeds login rate × connect timeout the herd never drains (measured on the emulator, 1,000 pg
 * connections on two cores: 1,850 connects and 570–727 connections unrecovered after 37 s, while
 * 1,000 plain connections opened once all got in within 30 s). With at most `limit` attempts in
 * flight, a login waits for at most `limit` others on the server; the rest wait here, off the
 * server, in arrival order, and each settled attempt hands its slot straight to the next waiter.
 * A process cannot see the rest of a fleet: when a login times out (the writer's queue is
 * longer than the connect timeout — other processes are logging in too), the lane halves its
 * limit (at most once a second, never below 2); each accepted login adds 1/limit back, up to the
 * configured one (additive increase, multiplicative decrease, as TCP does for the same reason).
 * Lanes are dropped as soon as they are idle, a lane cut lately 30 s after its last cut: nothing
 * grows with hosts or retries.
 */
import { TaskAborted } from '../../core/time.js';

interface Waiter {
  grant: () => void;
}

interface Lane {
  inFlight: number;
  /** Attempts allowed in flight now (AIMD between MIN_LIMIT and `max`). */
  limit: number;
  max: number;
  lastCutAt: number;
  /** FIFO; `head` is the index of the next waiter (shifting a long array is quadratic). */
  waiters: (Waiter | undefined)[];
  head: number;
}

const lanes = new Map<string, Lane>();

/** The limit a lane never goes below, however many logins time out. */
const MIN_LIMIT = 2;
/** At most one cut per this long: the timeouts of one overloaded moment arrive together. */
const CUT_SPACING_MS = 1_000;
/**
 * An idle lane that was cut is kept this long after its last cut (the herd's retries come back
 * after a pause), then forgotten: the next failover starts at the configured limit.
 */
const REMEMBER_CUT_MS = 30_000;

export type AttemptOutcome = 'accepted' | 'slow' | 'failed';

function laneOf(key: string, max: number): Lane {
  // Forget idle lanes whose cut is old (a handful of instances at most: the sweep is cheap).
  const now = Date.now();
  for (const [k, l] of lanes)
    if (l.inFlight === 0 && l.head === l.waiters.length && now - l.lastCutAt > REMEMBER_CUT_MS)
      lanes.delete(k);
  let lane = lanes.get(key);
  if (lane === undefined) {
    lane = { inFlight: 0, limit: max, max, lastCutAt: 0, waiters: [], head: 0 };
    lanes.set(key, lane);
  }
  return lane;
}

function queued(lane: Lane): number {
  let n = 0;
  for (let i = lane.head; i < lane.waiters.length; i++) if (lane.waiters[i] !== undefined) n++;
  return n;
}

function acquire(key: string, limit: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new TaskAborted());
  const lane = laneOf(key, limit);
  if (lane.inFlight < Math.floor(lane.limit) && lane.head === lane.waiters.length) {
    lane.inFlight++;
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    const index = lane.waiters.length;
    const onAbort = (): void => {
      // Leaves the queue; the slot it never got stays with whoever holds it.
      lane.waiters[index] = undefined;
      skipGone(lane);
      dropIfIdle(key, lane);
      reject(new TaskAborted());
    };
    lane.waiters.push({
      grant: () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function skipGone(lane: Lane): void {
  while (lane.head < lane.waiters.length && lane.waiters[lane.head] === undefined) lane.head++;
  if (lane.head === lane.waiters.length) {
    lane.waiters.length = 0;
    lane.head = 0;
  }
}

function dropIfIdle(key: string, lane: Lane): void {
  if (lane.inFlight > 0 || lane.waiters.length > 0 || lanes.get(key) !== lane) return;
  // A lane that was cut lately keeps its limit for the retries to come (laneOf forgets it later).
  if (lane.limit < lane.max && Date.now() - lane.lastCutAt <= REMEMBER_CUT_MS) return;
  lanes.delete(key);
}

function adjust(lane: Lane, outcome: AttemptOutcome): void {
  if (outcome === 'accepted') lane.limit = Math.min(lane.max, lane.limit + 1 / lane.limit);
  else if (outcome === 'slow') {
    const now = Date.now();
    if (now - lane.lastCutAt >= CUT_SPACING_MS) {
      lane.lastCutAt = now;
      // Never below the floor, never above what was configured (a limit of 1 stays 1).
      lane.limit = Math.max(Math.min(MIN_LIMIT, lane.max), lane.limit / 2);
    }
  }
}

function release(key: string, outcome: AttemptOutcome): void {
  const lane = lanes.get(key);
  if (lane === undefined) return;
  adjust(lane, outcome);
  lane.inFlight--;
  // Hand free slots to the waiters in arrival order (none while the lane is over its limit).
  skipGone(lane);
  while (lane.inFlight < Math.floor(lane.limit) && lane.head < lane.waiters.length) {
    const next = lane.waiters[lane.head];
    lane.waiters[lane.head] = undefined;
    lane.head++;
    skipGone(lane);
    if (next === undefined) continue;
    lane.inFlight++;
    next.grant();
  }
  dropIfIdle(key, lane);
}

/**
 * Run `attempt` (a connect to the instance `key` and its role check) once one of the lane's slots
 * (at most `limit`) is free. Rejects with TaskAborted, without running it, when `signal` fires
 * while waiting. The slot is returned however the attempt settles; `isSlow` tells a failure that
 * means the instance's login queue is too long (a connect timeout) from any other.
 */
export async function withReconnectSlot<T>(
  key: string,
  limit: number,
  signal: AbortSignal,
  attempt: () => Promise<T>,
  isSlow: (err: unknown) => boolean = () => false,
): Promise<T> {
  await acquire(key, limit, signal);
  let outcome: AttemptOutcome = 'failed';
  try {
    const result = await attempt();
    outcome = 'accepted';
    return result;
  } catch (err) {
    if (isSlow(err)) outcome = 'slow';
    throw err;
  } finally {
    release(key, outcome);
  }
}

/** For tests: attempts in flight and waiting per instance (only lanes in use exist). */
export function reconnectSlotsInUse(): Map<string, { inFlight: number; waiting: number; limit: number }> {
  return new Map(
    [...lanes].map(([key, lane]) => [
      key,
      { inFlight: lane.inFlight, waiting: queued(lane), limit: Math.floor(lane.limit) },
    ]),
  );
}
