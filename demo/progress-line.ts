/**
 * The demo's live progress: once a second, per group, the writes that succeeded and failed in
 * that second, how many are stuck in a connect or write (e.g. inside aurora-ha's failover), the
 * instance(s) that took the writes, plus the emulator events of that second.
 */
import type { TimelineEvent } from '../src/emulator.js';
import type { WorkerRecord } from '../bench/failover/worker-loop.js';

/** A connect or write in progress for longer than this counts as waiting (e.g. inside a failover). */
const WAITING_MS = 500;

interface Cursor {
  successes: number;
  errors: number;
}

export class ProgressLine {
  private readonly cursors = new Map<WorkerRecord, Cursor>();
  private eventsShown = 0;

  constructor(
    private readonly groups: ReadonlyMap<string, readonly WorkerRecord[]>,
    private readonly startedAt: number,
  ) {}

  /** The line for everything recorded since the previous call. */
  next(at: number, timeline: readonly TimelineEvent[]): string {
    const parts: string[] = [];
    for (const [name, records] of this.groups) {
      let ok = 0;
      let failed = 0;
      const instances = new Set<string>();
      for (const r of records) {
        const cursor = this.cursors.get(r) ?? { successes: 0, errors: 0 };
        for (let i = cursor.successes; i < r.successes.length; i++) instances.add(r.instances[i] ?? '?');
        ok += r.successes.length - cursor.successes;
        failed += r.errors.length - cursor.errors;
        this.cursors.set(r, { successes: r.successes.length, errors: r.errors.length });
      }
      const waiting = records.filter(
        (r) => r.busySince !== undefined && at - r.busySince > WAITING_MS,
      ).length;
      const where = instances.size === 0 ? '-' : [...instances].sort().join('+');
      parts.push(
        `${name} ${String(ok).padStart(4)} ok ${String(failed).padStart(4)} err ${String(waiting).padStart(3)} waiting → ${where.padEnd(10)}`,
      );
    }
    const events = timeline.slice(this.eventsShown);
    this.eventsShown = timeline.length;
    const marks = events
      .map((e) => `${e.kind}${e.instanceId === undefined ? '' : ` ${e.instanceId}`}`)
      .join(', ');
    const seconds = `${Math.round((at - this.startedAt) / 1000)}s`.padStart(4);
    return `${seconds}  ${parts.join(' | ')}${marks === '' ? '' : `  ◆ ${marks}`}`;
  }
}
