/**
 * Failover v2's wake-up latency: from the topology monitor verifying a writer to each waiting
 * connection starting its reconnect, read from aurora-ha's `aurora-ha:failover2` diagnostics
 * channel (published only while someone subscribes, as here). A connection that only starts
 * waiting after the verification (it noticed the loss later) counts from its own wait.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FAILOVER2_CHANNEL, type MonitorEvent } from '../../src/topology/monitor-events.js';

export interface WakeRecorder {
  /** ms from the latest verification before each reconnect start, for reconnects at or after `from`. */
  latencies(from: number): number[];
  /** When writers were verified (ms since epoch). */
  verifiedAt(): number[];
  /** When the monitor entered panic mode (ms since epoch). */
  panicAt(): number[];
  stop(): void;
}

export function recordWakeUps(): WakeRecorder {
  const events: MonitorEvent[] = [];
  const listener = (message: unknown): void => {
    events.push(message as MonitorEvent);
  };
  subscribe(FAILOVER2_CHANNEL, listener);
  return {
    latencies(from) {
      const out: number[] = [];
      let verified: number | undefined;
      for (const e of events) {
        if (e.event === 'writer-verified') verified = e.at;
        else if (e.event === 'reconnect-start' && e.at >= from && verified !== undefined && verified >= from)
          // A connection that started waiting after the verification was not woken by it:
          // its latency runs from its own wait.
          out.push(e.at - Math.max(verified, e.waitFrom));
      }
      return out;
    },
    verifiedAt: () => events.filter((e) => e.event === 'writer-verified').map((e) => e.at),
    panicAt: () => events.filter((e) => e.event === 'panic-start').map((e) => e.at),
    stop: () => unsubscribe(FAILOVER2_CHANNEL, listener),
  };
}
