/**
 * One worker of a failover run: writes in a loop through a WriteClient, records the time of
 * every success (and the instance that took it) and of every error (with its kind), and
 * recovers the way its client family does (repeat on the same connection, or reopen after an
 * exponential backoff with jitter). Stops when the run's signal aborts.
 */
import { now, sleep } from './clock.js';
import { errorKind } from './error-kind.js';
import type { WriteClient, WriteTarget } from './write-clients.js';

export interface ErrorSample {
  at: number;
  kind: string;
}

/** Everything one worker saw; times are ms since the epoch. */
export class WorkerRecord {
  readonly successes: number[] = [];
  readonly errors: ErrorSample[] = [];
  /** Instance of each success, same index as `successes` (undefined when not reported). */
  readonly instances: (string | undefined)[] = [];
  /** Start of the connect or write in progress (undefined between operations). */
  busySince: number | undefined;

  constructor(
    readonly group: string,
    readonly worker: number,
  ) {}

  success(at: number, instance: string | undefined): void {
    this.busySince = undefined;
    this.successes.push(at);
    this.instances.push(instance);
  }

  error(at: number, err: unknown): void {
    this.busySince = undefined;
    this.errors.push({ at, kind: errorKind(err) });
  }
}

export interface Pacing {
  /** Pause after each successful write. */
  writeIntervalMs: number;
  /** First pause before opening a new connection after an error; doubles per failure in a row. */
  reconnectBackoffMs: number;
  /** Upper bound of that pause. */
  reconnectBackoffMaxMs: number;
}

/** Exponential backoff with jitter: half the step fixed, half random, so workers do not reconnect in lockstep. */
export function backoffDelay(pacing: Pacing, failuresInARow: number): number {
  const step = Math.min(
    pacing.reconnectBackoffMaxMs,
    pacing.reconnectBackoffMs * 2 ** Math.max(0, failuresInARow - 1),
  );
  return step / 2 + Math.random() * (step / 2);
}

export async function runWorker(
  client: WriteClient,
  target: WriteTarget,
  record: WorkerRecord,
  pacing: Pacing,
  signal: AbortSignal,
): Promise<void> {
  let session: Awaited<ReturnType<WriteClient['open']>> | undefined;
  let failuresInARow = 0;
  while (!signal.aborted) {
    try {
      record.busySince = now();
      session ??= await client.open(target);
      if (signal.aborted) break;
      const instance = await session.write(record.group, record.worker);
      record.success(now(), instance);
      failuresInARow = 0;
      await sleep(pacing.writeIntervalMs, signal);
    } catch (err) {
      if (signal.aborted) break;
      record.error(now(), err);
      if (session === undefined || client.afterError(err) === 'reopen') {
        const broken = session;
        session = undefined;
        await broken?.close();
        failuresInARow++;
        await sleep(backoffDelay(pacing, failuresInARow), signal);
      }
    }
  }
  await session?.close();
}
