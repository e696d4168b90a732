/**
 * Measured replica lag for the emulator's Aurora topology (pt-heartbeat style), so that
 * `replica_lag_in_msec` / `REPLICA_LAG_IN_MILLISECONDS` tell the truth about each reader.
 *
 * How lag is computed. Every HEARTBEAT_PERIOD_MS one tick runs, at most one at a time:
 *  1. each live reader is asked which heartbeat it has replayed, `v` (one bounded SELECT over
 *     a kept admin session on its private socket, never through the fault proxy);
 *  2. its lag is `now − b`, where `b` is the oldest heartbeat committed on the writer after `v`:
 *     the age of the oldest heartbeat write the reader has not applied yet; 0 when it has
 *     applied the latest one. Both clocks are this process's `Date.now()`.
 *  3. one statement on the writer stores a new heartbeat (`Date.now()`) and, only when a
 *     reader's lag differs from what was last written, the readers' lags into the status rows.
 * Granularity: lag is sampled once per tick (100 ms); a reader less than one tick behind reads
 * 0, and a held reader's lag is the time since the first write it missed, exact to the ms at
 * each sample and at most one tick late. The topology rewrite every second carries the latest
 * values too. A reader that cannot be read (its session failed or timed out) keeps its last
 * lag; a reader that goes down leaves the topology (and this table) until it is back, then
 * is measured afresh. Without a writer no heartbeat is written, so no reader falls behind one.
 * Load when nothing lags: one single-row UPDATE on the writer and one single-row SELECT per
 * reader every tick, over kept sessions.
 */
import type { BackendInstance, EngineBackend } from './engine.js';

/** Time between two heartbeats (and two lag samples). */
export const HEARTBEAT_PERIOD_MS = 100;
/** Bound on one reader's SELECT. */
const READ_TIMEOUT_MS = 500;
/** Bound on the writer's heartbeat statement. */
const WRITE_TIMEOUT_MS = 1_000;
/** Committed heartbeats kept to date a reader's first missed one (20 min of ticks). */
const MAX_BEATS = 12_000;

export interface LagSources {
  backend: Required<Pick<EngineBackend, 'writeHeartbeat' | 'replayedHeartbeat'>>;
  writer(): BackendInstance | undefined;
  readers(): BackendInstance[];
}

export class ReplicaLag {
  /** Committed heartbeat values, ascending. */
  private readonly beats: number[] = [];
  private readonly lags = new Map<string, number>();
  /** The last heartbeat each reader was seen to have replayed. */
  private readonly replayedBy = new Map<string, number>();
  /** Lag per reader as the writer's status rows hold it now (as far as we know). */
  private readonly written = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly sources: LagSources) {}

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => {
      if (this.tick !== undefined || this.stopped) return; // one tick at a time
      this.tick = this.runTick()
        .catch(() => undefined)
        .finally(() => (this.tick = undefined));
    }, HEARTBEAT_PERIOD_MS);
    this.timer.unref();
  }

  /** The last measured lag of `instanceId` (0 when never measured). */
  lagOf(instanceId: string): number {
    return this.lags.get(instanceId) ?? 0;
  }

  /** The topology was rewritten with `lagOf` for these readers. */
  noteWritten(lags: ReadonlyMap<string, number>): void {
    for (const [id, lag] of lags) this.written.set(id, lag);
  }

  /** Stop ticking; resolves once a tick in flight is over (each of its statements is bounded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.tick;
  }

  private async runTick(): Promise<void> {
    const { backend } = this.sources;
    const readers = this.sources.readers();
    this.forgetGone(readers);
    const replayed = await Promise.all(
      readers.map((r) => backend.replayedHeartbeat(r, READ_TIMEOUT_MS).catch(() => undefined)),
    );
    const now = Date.now();
    readers.forEach((r, i) => {
      const v = replayed[i];
      if (v === undefined) return;
      this.replayedBy.set(r.id, v);
      this.lags.set(r.id, this.lagAfter(v, now));
    });
    this.trim();
    const writer = this.sources.writer();
    if (writer === undefined || this.stopped) return;
    const changed = readers.some((r) => this.written.get(r.id) !== this.lagOf(r.id));
    const lags = changed ? new Map(readers.map((r) => [r.id, this.lagOf(r.id)])) : undefined;
    const beat = Math.max(Date.now(), (this.beats[this.beats.length - 1] ?? 0) + 1);
    await backend.writeHeartbeat(writer, beat, lags, WRITE_TIMEOUT_MS);
    this.beats.push(beat);
    if (lags !== undefined) this.noteWritten(lags);
  }

  /** `now` minus the oldest committed heartbeat after `v` (0 when `v` is the latest). */
  private lagAfter(v: number, now: number): number {
    const missed = this.beats.find((b) => b > v);
    return missed === undefined ? 0 : Math.max(0, now - missed);
  }

  /** Keep only the beats some reader may still miss, at most MAX_BEATS. */
  private trim(): void {
    const seen = [...this.replayedBy.values()];
    const oldest = seen.length > 0 ? Math.min(...seen) : undefined;
    let drop = 0;
    // the newest beat stays: a reader that replayed it compares against the next one
    while (drop < this.beats.length - 1 && oldest !== undefined && (this.beats[drop] ?? 0) <= oldest) drop++;
    drop = Math.max(drop, this.beats.length - MAX_BEATS);
    if (drop > 0) this.beats.splice(0, drop);
  }

  /** Readers that left (down, removed, promoted) are measured afresh when they come back. */
  private forgetGone(readers: readonly BackendInstance[]): void {
    const live = new Set(readers.map((r) => r.id));
    for (const map of [this.lags, this.replayedBy, this.written])
      for (const id of [...map.keys()]) if (!live.has(id)) map.delete(id);
  }
}
