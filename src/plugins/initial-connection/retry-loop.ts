/**
 * The retry loop of an initial connection: run an attempt; on a retryable failure (network,
 * read-only, a step that timed out) or an attempt that found nothing, pause
 * `openConnectionRetryIntervalMs` with jitter and try again, until `openConnectionRetryTimeoutMs`
 * has passed; then a clear UnavailableHostError naming the option, the endpoint and the last
 * cause. A login error or any other SQL error ends the loop at once (retrying cannot help).
 */
import { AuroraHaError, ConfigurationError, UnavailableHostError } from '../../core/errors.js';
import { redactSecrets, secretsOf } from '../../core/redact.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey } from '../../drivers/host-info.js';
import { jittered, sleep, StepTimedOut, TaskAborted } from '../../core/time.js';
import type { OpenContext } from './open-context.js';

/** An attempt's outcome: a connection, `again` (retry at once: something was learnt), or nothing yet. */
export type AttemptResult = PhysicalConnection | 'again' | undefined;

/** Immediate retries in a row before the loop pauses anyway. */
const MAX_IMMEDIATE = 8;

/** Whether another attempt may succeed where this error failed. */
export function retryable(ctx: OpenContext, err: unknown): boolean {
  if (err instanceof ConfigurationError) return false;
  // Cut by the deadline (an aborted connect or query): the loop ends with its own clear error.
  if (ctx.signal.aborted) return true;
  if (err instanceof StepTimedOut || err instanceof TaskAborted) return true;
  if (err instanceof AuroraHaError) return true; // unavailable host, failover outcome: all transient
  const kind = ctx.service.classify(err);
  return kind === 'network' || kind === 'read-only';
}

/** `interval` ± 20 %, never past the deadline. */
export function retryPauseMs(ctx: OpenContext, interval: number, random: () => number = Math.random): number {
  return ctx.deadline.cap(jittered(interval, 0.8, 1.2, random));
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function retryUntilDeadline(
  ctx: OpenContext,
  wanted: string,
  attempt: () => Promise<AttemptResult>,
): Promise<PhysicalConnection> {
  const options = ctx.service.config.options;
  let last: unknown;
  let attempts = 0;
  let immediate = 0;
  for (;;) {
    attempts++;
    let result: AttemptResult;
    try {
      result = await attempt();
    } catch (err) {
      if (!retryable(ctx, err)) throw err;
      if (!ctx.signal.aborted || last === undefined) last = err;
      result = undefined;
    }
    if (result !== undefined && result !== 'again') return result;
    if (ctx.deadline.passed() || ctx.signal.aborted) break;
    if (result === 'again' && immediate < MAX_IMMEDIATE) {
      immediate++;
      continue;
    }
    immediate = 0;
    await sleep(retryPauseMs(ctx, options.openConnectionRetryIntervalMs), ctx.signal).catch(() => undefined);
    if (ctx.deadline.passed() || ctx.signal.aborted) break;
  }
  const where = hostKey(ctx.endpoint);
  const cause = last === undefined ? '' : `; last error: ${describe(last)}`;
  const message = redactSecrets(
    `No ${wanted} could be reached through ${where} within openConnectionRetryTimeoutMs=${options.openConnectionRetryTimeoutMs} ms (${attempts} attempts)${cause}`,
    secretsOf(ctx.service.config.driverConfig),
  );
  throw new UnavailableHostError(where, message, { cause: last });
}
