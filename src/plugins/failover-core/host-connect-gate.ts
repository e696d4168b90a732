/**
 * Bounded connection attempts per host during failover, shared by every connection of the
 * process (issue 9 item 11: hundreds of connections failing over at once must not open
 * thousands of sockets). A host that answers is not gated at all. Once an attempt to a host
 * fails, the host is "failing": at most one attempt at a time goes to it, and the next only
 * after a backoff that doubles per failure (100 ms → 2 s) with ±50 % jitter; the others wait
 * for that attempt's outcome. The first success opens the gate for everyone at once.
 * Entries are dropped on success and after a quiet period, so nothing grows with hosts seen.
 */
import { hostKey, type HostInfo } from '../../drivers/host-info.js';
import { backoffMs, sleep, TaskAborted } from '../../core/time.js';

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** A failing entry untouched this long is forgotten (the host gets a fresh chance). */
const FORGET_AFTER_MS = 30_000;

interface Failing {
  failures: number;
  /** No new attempt before this time. */
  nextAt: number;
  /** An attempt is in flight: everyone else waits for it. */
  probing: Promise<void> | undefined;
  touchedAt: number;
}

const failing = new Map<string, Failing>();

/** Backoff after `failures` failed attempts: doubling, capped, ±50 % jitter. */
export function gateBackoffMs(failures: number, random: () => number = Math.random): number {
  return backoffMs(failures - 1, FIRST_BACKOFF_MS, MAX_BACKOFF_MS, 0.5, 1.5, random);
}

function entryOf(key: string, now: number): Failing | undefined {
  const e = failing.get(key);
  if (e !== undefined && now - e.touchedAt > FORGET_AFTER_MS) {
    failing.delete(key);
    return undefined;
  }
  return e;
}

/**
 * Run `attempt` (a connect to `host`) through the gate. Rejects with TaskAborted when `signal`
 * fires while waiting. `isHostFailure` tells which errors mean the host did not take us
 * (a refused or silent host), as opposed to our own cancellation.
 */
export async function throughGate<T>(
  host: HostInfo,
  signal: AbortSignal,
  attempt: () => Promise<T>,
): Promise<T> {
  const key = hostKey(host);
  for (;;) {
    if (signal.aborted) throw new TaskAborted();
    const now = Date.now();
    const e = entryOf(key, now);
    if (e === undefined) break; // healthy (or unknown) host: no gate
    if (e.probing !== undefined) {
      // Someone is finding out; wait for it (bounded by our signal), then look again.
      await Promise.race([e.probing, sleep(MAX_BACKOFF_MS, signal).catch(() => undefined)]);
      continue;
    }
    if (now < e.nextAt) {
      await sleep(e.nextAt - now, signal);
      continue;
    }
    // Our turn to probe the failing host.
    let done!: () => void;
    e.probing = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      const result = await attempt();
      failing.delete(key);
      return result;
    } catch (err) {
      if (!signal.aborted) {
        e.failures++;
        e.nextAt = Date.now() + gateBackoffMs(e.failures);
      }
      e.touchedAt = Date.now();
      throw err;
    } finally {
      e.probing = undefined;
      done();
    }
  }
  try {
    const result = await attempt();
    return result;
  } catch (err) {
    if (!signal.aborted) noteFailure(key);
    throw err;
  }
}

function noteFailure(key: string): void {
  const now = Date.now();
  const e = entryOf(key, now);
  if (e === undefined) {
    failing.set(key, { failures: 1, nextAt: now + gateBackoffMs(1), probing: undefined, touchedAt: now });
  } else {
    e.touchedAt = now;
  }
}

/** Forget every gate (for tests). */
export function clearHostGates(): void {
  failing.clear();
}
