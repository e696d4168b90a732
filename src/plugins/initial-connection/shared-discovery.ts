/**
 * One discovery at a time per cluster endpoint. A discovery is what an open does when the
 * process does not know where the writer is: a cold start (nothing known yet: learn the topology
 * through DNS) or a search (the topology's writer refused or answered as a reader: ask the other
 * instances). When many connections open together — a pool filling up after a restart, or
 * refilling during the DNS lag after a failover — one of them discovers while the others wait
 * for it and then go straight to the writer it found, instead of every one of them walking the
 * instances (a pool of 10 made 37 connects that way). An entry lives only while its discovery runs.
 */
import { hostKey } from '../../drivers/host-info.js';
import { withTimeout } from '../../core/time.js';
import type { OpenContext } from './open-context.js';
import type { AttemptResult } from './retry-loop.js';

const running = new Map<string, Promise<void>>();

/**
 * When another open of the same endpoint is discovering, wait for it (bounded by this open's
 * deadline) and answer true: the caller then looks at the topology it learnt.
 */
export async function joinedDiscovery(ctx: OpenContext): Promise<boolean> {
  const other = running.get(hostKey(ctx.endpoint));
  if (other === undefined) return false;
  await joinBounded(ctx, other);
  return true;
}

function joinBounded(ctx: OpenContext, other: Promise<void>): Promise<unknown> {
  return withTimeout(other, ctx.deadline.remaining(), 'discovery of another connection', ctx.signal).catch(
    () => undefined,
  );
}

/**
 * Run `discover` unless another open of the same endpoint is discovering: then wait for that
 * one and answer `again`. (The check and the claim happen in one synchronous step, so opens
 * failing together cannot all start.)
 */
export async function discoverOnce(
  ctx: OpenContext,
  discover: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const key = hostKey(ctx.endpoint);
  const other = running.get(key);
  if (other !== undefined) {
    await joinBounded(ctx, other);
    return 'again';
  }
  const mine = discover();
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
