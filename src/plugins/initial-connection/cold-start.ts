/**
 * One cold start at a time per cluster endpoint: when many connections are opened together in a
 * process that does not know the cluster yet (a pool filling up after a restart), one of them
 * learns the topology through DNS while the others wait for it and then go straight to the
 * instance it names, instead of every one of them detecting the dialect and reading the
 * topology. An entry lives only while its cold start runs.
 */
import { hostKey } from '../../drivers/host-info.js';
import { withTimeout } from '../../core/time.js';
import type { OpenContext } from './open-context.js';
import type { AttemptResult } from './retry-loop.js';

const running = new Map<string, Promise<void>>();

/**
 * Run `coldStart` unless another open of the same endpoint is doing it: then wait for that one
 * (bounded by this open's deadline) and answer `again`, to look at the topology it learnt.
 */
export async function coldStartOnce(
  ctx: OpenContext,
  coldStart: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const key = hostKey(ctx.endpoint);
  const other = running.get(key);
  if (other !== undefined) {
    await withTimeout(other, ctx.deadline.remaining(), 'cold start of another connection', ctx.signal).catch(
      () => undefined,
    );
    return 'again';
  }
  const mine = coldStart();
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  running.set(key, settled);
  try {
    return await mine;
  } finally {
    if (running.get(key) === settled) running.delete(key);
  }
}
