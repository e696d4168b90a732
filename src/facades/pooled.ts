/**
 * Marks the options a pool hands to the connections it creates, so that those connections'
 * own connects are published as `pool` rather than `user` on `aurora-ha:connect`
 * (docs/observability.md). A non-enumerable symbol: drivers and config parsing never see it.
 */
export const POOLED = Symbol.for('aurora-ha.pooled');

/** Mark `options` (a pool's own copy of its options) as a pool's. */
export function markPooled(options: object): void {
  Object.defineProperty(options, POOLED, { value: true, enumerable: false, configurable: true });
}

/** Whether `options` came from a pool. */
export function isPooled(options: unknown): boolean {
  return (
    typeof options === 'object' && options !== null && (options as { [POOLED]?: unknown })[POOLED] === true
  );
}
