/**
 * DEPRECATED alias, kept for one release (removed in the release after 0.2): new code subscribes
 * to `aurora-ha:monitor` and `aurora-ha:failover` (observe/channels.ts, docs/observability.md).
 *
 * Diagnostics of failover v2 on `node:diagnostics_channel` (`aurora-ha:failover2`): the
 * monitor publishes when it verified a writer, connections publish when they start their
 * reconnect. Nothing is built unless someone subscribes (the bench does, to measure the
 * wake-up latency), so the hot path pays nothing.
 */
import { channel } from 'node:diagnostics_channel';

export type MonitorEvent =
  | { readonly event: 'panic-start'; readonly cluster: string; readonly at: number }
  | {
      readonly event: 'writer-verified';
      readonly cluster: string;
      readonly writer: string;
      readonly at: number;
    }
  | {
      readonly event: 'reconnect-start';
      readonly cluster: string;
      readonly writer: string;
      /** When this connection started waiting for the monitor (ms since epoch). */
      readonly waitFrom: number;
      readonly at: number;
    };

/** @deprecated use `aurora-ha:monitor` / `aurora-ha:failover` (docs/observability.md). */
export const FAILOVER2_CHANNEL = 'aurora-ha:failover2';

const events = channel(FAILOVER2_CHANNEL);

/** Publish when somebody listens; `make` runs only then. */
export function publishMonitorEvent(make: () => MonitorEvent): void {
  if (events.hasSubscribers) events.publish(make());
}
