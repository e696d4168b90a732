/** Text formatting shared by the demo and the failover benchmark: timelines, error counts, tables. */
import type { TimelineEvent } from '../../src/emulator.js';

/** `writer-lost instance-1 +0 ms, promoted instance-2 +412 ms, …` relative to `origin`. */
export function formatTimeline(events: readonly TimelineEvent[], origin: number): string {
  return events
    .map((e) => `${e.kind}${e.instanceId === undefined ? '' : ` ${e.instanceId}`} ${signedMs(e.at - origin)}`)
    .join(', ');
}

export function signedMs(ms: number): string {
  const rounded = Math.round(ms);
  return `${rounded >= 0 ? '+' : ''}${rounded} ms`;
}

/** `ECONNREFUSED ×12, FailoverSuccessError ×8`, most frequent first; `none` when empty. */
export function formatErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'none';
  return entries.map(([kind, n]) => `${kind} ×${n}`).join(', ');
}

/** A plain text table with left-aligned columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
