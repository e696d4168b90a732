/**
 * bench:fleet's output: a markdown table (one row per engine × group), the targets checked
 * for `failover2` and the defaults, and one line of detail per group (purposes, errors).
 */
import { formatErrors } from '../failover/report.js';
import { formatSummary } from '../failover/stats.js';
import type { GroupResult } from './group-run.js';

/** p95 after promotion ≤ baseline p95 + this (issue 25). */
export const OVER_BASELINE_MS = 500;
/** Monitor (panic-mode) connects per instance per second, per process. */
export const MONITOR_PER_INSTANCE_PER_PROCESS = 20;

/** The groups the targets apply to. */
export function targeted(r: GroupResult): boolean {
  return r.group === 'failover2' || r.group === 'default';
}

export function connectBound(r: GroupResult): number {
  return r.processes * r.connections + r.processes * 3 * 3 + 10;
}

/** Whether p95 after promotion is within the settled baseline's p95 + 500 ms (informational). */
export function metSettled(r: GroupResult): boolean {
  return r.baseline !== undefined && r.afterPromotion.p95 <= r.baseline.p95 + OVER_BASELINE_MS;
}

/** Which targets a group missed (empty: all met). */
export function missedTargets(r: GroupResult): string[] {
  const missed: string[] = [];
  const total = r.processes * r.connections;
  if (r.ready < total) missed.push(`${total - r.ready} not ready`);
  if (r.unrecovered > 0) missed.push(`${r.unrecovered} unrecovered`);
  // Judged against the baseline made in the failover window when there is one (the same conditions).
  const reference = r.window?.afterPromotion.p95 ?? r.baseline?.p95;
  if (reference === undefined || r.afterPromotion.p95 > reference + OVER_BASELINE_MS)
    missed.push(
      `p95 > ${r.window === undefined ? 'baseline' : 'window baseline'} p95 + ${OVER_BASELINE_MS} ms`,
    );
  if (r.connects > connectBound(r)) missed.push(`connects > ${connectBound(r)}`);
  const monitorPeak = Math.max(0, ...Object.values(r.monitorPeakPerInstance));
  if (monitorPeak > r.processes * MONITOR_PER_INSTANCE_PER_PROCESS)
    missed.push(
      `monitor ${monitorPeak}/s > ${r.processes * MONITOR_PER_INSTANCE_PER_PROCESS}/s per instance`,
    );
  if (r.baselineLoginsPeak === undefined || r.newWriterLoginsPeak > r.baselineLoginsPeak)
    missed.push('new-writer logins peak > baseline peak');
  return missed;
}

function perInstance(peaks: Record<string, number>): string {
  const entries = Object.entries(peaks);
  return entries.length === 0 ? '-' : entries.map(([host, n]) => `${host} ${n}`).join(', ');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function formatResults(results: readonly GroupResult[]): string {
  const rows = results.map((r) => {
    const missed = targeted(r) ? missedTargets(r) : undefined;
    return [
      r.engine,
      r.group,
      `${r.processes} × ${r.connections}${r.ready < r.processes * r.connections ? ` (${r.ready} ready)` : ''}`,
      formatSummary(r.afterPromotion),
      r.baseline === undefined ? '-' : formatSummary(r.baseline),
      r.window === undefined ? '-' : `${formatSummary(r.window.afterPromotion)} (${r.window.loginsPeak}/s)`,
      String(r.unrecovered),
      `${r.connects} (≤ ${connectBound(r)})`,
      `${r.newWriterLoginsPeak} (${r.baselineLoginsPeak ?? '-'})`,
      perInstance(r.monitorPeakPerInstance),
      perInstance(r.probePeakPerInstance),
      perInstance(r.queryPeakPerInstance),
      `${r.eventLoopDelayMs.p50} / ${r.eventLoopDelayMs.p99} / ${r.eventLoopDelayMs.max}`,
      `${r.loadStart.toFixed(2)} → ${r.loadEnd.toFixed(2)}`,
      missed === undefined
        ? '-'
        : `${missed.length === 0 ? 'met' : `MISSED: ${missed.join('; ')}`}${r.window === undefined ? '' : ` (p95 vs settled baseline: ${metSettled(r) ? 'within' : 'over'})`}`,
    ];
  });
  const table = markdownTable(
    [
      'engine',
      'group',
      'P × N',
      'promotion → first write p50/p95/max ms',
      'baseline p50/p95/max ms (settled)',
      'window baseline: promotion → first write p50/p95/max ms (logins peak)',
      'unrecovered',
      'connects (target)',
      'new-writer logins peak/s (baseline peak)',
      'monitor connects peak/s per instance',
      'probe connects peak/s per instance',
      'aurora-ha queries peak/s per instance',
      'emulator event-loop delay p50/p99/max ms (beyond 10 ms sampling)',
      'load 1 min start → end',
      'targets',
    ],
    rows,
  );
  const details = results.map((r) => {
    const purposes = Object.entries(r.byPurpose)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ');
    return [
      `- ${r.engine} ${r.group}: promoted +${r.promotedAfterFaultMs ?? '-'} ms after the fault (new writer ${r.newWriter ?? '-'}${r.failoverError === undefined ? '' : `, failover() failed: ${r.failoverError}`}), recovery window ${r.recoveryWindowMs} ms, start-up ${r.readyMs} ms`,
      `  aurora-ha's own queries in the window: ${r.queriesTotal}; failover phases p50/p95/max ms: ${
        Object.entries(r.failoverPhases)
          .map(([name, s]) => `${name} ${formatSummary(s)}`)
          .join(', ') || '-'
      }`,
      `  aurora-ha connects by purpose: ${purposes || 'none (plain driver)'}; to the new writer: ${
        Object.entries(r.newWriterByPurpose)
          .map(([p, n]) => `${p} ${n}`)
          .join(', ') || '-'
      }; monitor panics ${r.panics}, writer verified after promotion p50/p95/max ${formatSummary(r.verifiedAfterPromotion)} ms (${r.verifiedAfterPromotion.count} processes); baseline failures ${r.baselineFailed}`,
      `  errors: ${formatErrors(r.errors)}`,
    ].join('\n');
  });
  return `${table}\n\n${details.join('\n')}`;
}
