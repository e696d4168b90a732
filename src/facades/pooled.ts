/**
 * Marks the options a pool hands to the connections it creates, so that those connections'
 * own connects are published as `pool` rather than `user` on `aurora-ha:connect`
 * (docs/observability.md), and are counted in the pool's own `leastConnections` counts
 * (docs/read-scaling.md). A non-enumerable symbol: drivers and config parsing never see it.
 */
import { ConnectionCounts } from '../selectors/connection-counts.js';

export const POOLED = Symbol.for('aurora-ha.pooled');

/** Mark `options` (a pool's own copy of its options) as a pool's, with the pool's counts. */
export function markPooled(options: object): void {
  Object.defineProperty(options, POOLED, {
    value: new ConnectionCounts(),
    enumerable: false,
    configurable: true,
  });
}

/** The pool's counts when `options` came from a pool, else undefined. */
export function poolCountsOf(options: unknown): ConnectionCounts | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const v = (options as { [POOLED]?: unknown })[POOLED];
  return v instanceof ConnectionCounts ? v : undefined;
}
