/**
 * Time for the failover runs: wall-clock milliseconds (comparable with the emulator's timeline,
 * which stamps events with Date.now()) and sleeps that never keep the process alive and stop
 * early when the run is aborted.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Milliseconds since the epoch, sub-millisecond resolution. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Sleep `ms`, unref'd; resolves early (never rejects) when `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true || ms <= 0) return;
  try {
    await delay(ms, undefined, { ref: false, signal });
  } catch {
    // aborted: the caller checks signal.aborted
  }
}

/** Resolve with `promise`'s value, or with `fallback` after `ms` (the promise is left to settle alone). */
export async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  const controller = new AbortController();
  const timeout = delay(ms, fallback, { ref: false, signal: controller.signal }).catch(() => fallback);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    controller.abort();
  }
}
