/**
 * What bench:fleet derives from the processes' reports: instance names from `host:port`, the
 * engine address behind an instance's fault proxy, busiest-second peaks per instance, and the
 * per-phase summaries of aurora-ha's failover traces.
 */
import { summarize, type Summary } from '../failover/stats.js';
import type { ConnectEvent } from './protocol.js';
import { peakPerSecondByKey } from './rates.js';

/** Instance k's fault proxy listens on 127.a.b.k and forwards to its engine on 127.a.b.(100+k). */
export function engineAddress(publicAddress: string): string {
  const parts = publicAddress.split('.');
  return `${parts.slice(0, 3).join('.')}.${Number(parts[3]) + 100}`;
}

/** `instance-2.abc.cluster-…:5432` → `instance-2`. */
export function shortHost(hostPort: string): string {
  return hostPort.split(':')[0]?.split('.')[0] ?? hostPort;
}

/** Busiest second of `purpose` connects, per instance. */
export function peakByInstance(
  events: readonly ConnectEvent[],
  purpose: string,
  from: number,
  to: number,
): Record<string, number> {
  const keyed = events.filter((e) => e.p === purpose).map((e) => ({ key: shortHost(e.h), t: e.t }));
  return Object.fromEntries(peakPerSecondByKey(keyed, from, to));
}

/** p50/p95/max of each phase over the failover traces (a phase a trace lacks counts 0). */
export function phaseSummaries(traces: readonly Record<string, number>[]): Record<string, Summary> {
  const names = [...new Set(traces.flatMap((t) => Object.keys(t)))];
  return Object.fromEntries(names.map((name) => [name, summarize(traces.map((t) => t[name] ?? 0))]));
}
