/**
 * `--repeat N`'s summary (issue 26 item 3): per scenario (engine × client × connections), the
 * median of the N runs made one after the other with their spread (min–max), and how many of
 * them met the target — a target counts as met only when every run meets it.
 */
import { formatTable } from './report.js';
import { percentileOfSorted } from './stats.js';

export interface RepeatedRun {
  engine: string;
  client: string;
  connections: number;
  outage: { afterPromotion: { p95: number } };
  connectCalls: number;
  baselineP95Ms: number | undefined;
  windowBaseline: { afterPromotion: { p95: number } } | undefined;
  targetMet: boolean | undefined;
  targetMetSettled: boolean | undefined;
}

/** `median (min–max)` of the defined values, whole numbers; `-` when there are none. */
export function medianSpread(values: readonly (number | undefined)[]): string {
  const sorted = values
    .filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return '-';
  const r = (v: number): number => Math.round(v);
  return `${r(percentileOfSorted(sorted, 50))} (${r(sorted[0]!)}–${r(sorted[sorted.length - 1]!)})`;
}

function count(runs: readonly RepeatedRun[], pick: (r: RepeatedRun) => boolean | undefined): string {
  if (runs.every((r) => pick(r) === undefined)) return '-';
  return `${runs.filter((r) => pick(r) === true).length} of ${runs.length}`;
}

export function printRepeatSummary(results: readonly RepeatedRun[]): void {
  const groups = new Map<string, RepeatedRun[]>();
  for (const r of results) {
    const key = `${r.engine}\u0000${r.client}\u0000${r.connections}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const rows = [...groups.values()].map((runs) => {
    const first = runs[0]!;
    return [
      first.engine,
      first.client,
      String(first.connections),
      String(runs.length),
      medianSpread(runs.map((r) => r.outage.afterPromotion.p95)),
      medianSpread(runs.map((r) => r.baselineP95Ms)),
      medianSpread(runs.map((r) => r.windowBaseline?.afterPromotion.p95)),
      medianSpread(runs.map((r) => r.connectCalls)),
      count(runs, (r) => r.targetMet),
      count(runs, (r) => r.targetMetSettled),
    ];
  });
  console.log('\nrepeated runs: median (min–max)');
  console.log(
    formatTable(
      [
        'engine',
        'client',
        'conns',
        'runs',
        'after promotion p95 ms',
        'baseline p95 ms (settled)',
        'baseline p95 ms (window)',
        'connects',
        'target met (window)',
        'target met (settled)',
      ],
      rows,
    ),
  );
}
