/**
 * The failover hooks (observe/failover-work.ts) this build copy installs once the bridge is on:
 * the failed connection's statement span is taken from this copy's notes
 * (observe/statement-spans.ts: the drivers of the same copy wrote them), and handed to the
 * process's one SpanBridge, which may come from the other copy (ESM and CommonJS both loaded).
 * Only a failover that a sent statement started links to it: a loss found while idle or a
 * failed initial connect has no failed statement (the last one noted there succeeded).
 */
import type { FailoverHooks } from '../observe/failover-work.js';
import { takeLastStatement } from '../observe/statement-spans.js';
import type { SpanBridge } from './spans.js';

export function failoverHooks(spans: SpanBridge): FailoverHooks {
  return {
    around(m, failed, fn) {
      const noted =
        m.trigger === 'network' || m.trigger === 'read-only' ? takeLastStatement(failed) : undefined;
      return spans.around(noted, fn);
    },
    within: (m, fn) => spans.within(m, fn),
  };
}
