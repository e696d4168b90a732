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
 * Lanes are dropped as soon as they are idle: nothing grows with hosts or retries.
 */
import { TaskAborted } from '../../core/time.js';

interface Waiter {
  grant: () => void;
}

interface Lane {
  inFlight: number;
  /** FIFO; `head` is the index of the next waiter (shifting a long array is quadratic). */
  waiters: (Waiter | undefined)[];
  head: number;
}

const lanes = new Map<string, Lane>();

function laneOf(key: string): Lane {
  let lane = lanes.get(key);
  if (lane === undefined) {
    lane = { inFlight: 0, waiters: [], head: 0 };
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
  const lane = laneOf(key);
  if (lane.inFlight < limit && lane.head === lane.waiters.length) {
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
  if (lane.inFlight === 0 && lane.waiters.length === 0 && lanes.get(key) === lane) lanes.delete(key);
}

function release(key: string): void {
  const lane = lanes.get(key);
  if (lane === undefined) return;
  skipGone(lane);
  const next = lane.head < lane.waiters.length ? lane.waiters[lane.head] : undefined;
  if (next !== undefined) {
    // The slot passes straight to the next waiter: inFlight is unchanged.
    lane.waiters[lane.head] = undefined;
    lane.head++;
    skipGone(lane);
    next.grant();
    return;
  }
  lane.inFlight--;
  dropIfIdle(key, lane);
}

/**
 * Run `attempt` (a connect to the instance `key` and its role check) once one of `limit` slots
 * for that instance is free. Rejects with TaskAborted, without running it, when `signal` fires
 * while waiting. The slot is returned however the attempt settles.
 */
export async function withReconnectSlot<T>(
  key: string,
  limit: number,
  signal: AbortSignal,
  attempt: () => Promise<T>,
): Promise<T> {
  await acquire(key, limit, signal);
  try {
    return await attempt();
  } finally {
    release(key);
  }
}

/** For tests: attempts in flight and waiting per instance (only lanes in use exist). */
export function reconnectSlotsInUse(): Map<string, { inFlight: number; waiting: number }> {
  return new Map([...lanes].map(([key, lane]) => [key, { inFlight: lane.inFlight, waiting: queued(lane) }]));
}
