/**
 * The record of one failover while it runs: the `aurora-ha:failover` message, its phases timed
 * with `performance.now()` (only for a failover someone observes: a subscriber, a logger or
 * NODE_DEBUG), and the one summary line logged for it. The failover base creates it when the
 * failover starts and moves it from phase to phase. Each entry into a phase is one entry of
 * `phases`, in order (v2 goes back from reconnect to search when its verified writer does not
 * take the connection: `search, reconnect, search, reconnect`), so the entries tile the
 * failover as a timeline (each one starts where the one before ended; the OpenTelemetry bridge
 * stamps its span events that way); entering the phase it is already in changes nothing.
 */
import type { FailoverMode } from '../core/wrapper-options.js';
import type { FailoverMessage, FailoverOutcome, FailoverPhaseName, FailoverTrigger } from './channels.js';

export interface FailoverStart {
  readonly connectionId: number;
  readonly clusterId: string;
  readonly plugin: string;
  readonly mode: FailoverMode;
  readonly trigger: FailoverTrigger;
  readonly oldHost: string | undefined;
}

export class FailoverRecord {
  readonly message: FailoverMessage;
  private current: FailoverPhaseName | undefined;
  private since: number;
  private readonly t0: number;

  /** @param failedAt `performance.now()` when the failing call's error arrived. */
  constructor(start: FailoverStart, failedAt: number) {
    this.t0 = failedAt;
    this.since = failedAt;
    this.message = {
      ...start,
      newHost: undefined,
      outcome: undefined,
      phases: [],
      durationMs: undefined,
      startedAt: Date.now() - (performance.now() - failedAt),
    };
    this.current = 'detect';
  }

  /** Leave the current phase (one entry with its time) and enter `name`; no-op when already in it. */
  enter(name: FailoverPhaseName, now = performance.now()): void {
    if (name === this.current) return;
    this.close(now);
    this.current = name;
  }

  /** The failover is over: close the phase, set the outcome, the new host and the duration. */
  finish(outcome: FailoverOutcome, newHost: string | undefined, now = performance.now()): void {
    this.close(now);
    this.current = undefined;
    this.message.outcome = outcome;
    this.message.newHost = newHost;
    this.message.durationMs = now - this.t0;
  }

  private close(now: number): void {
    const name = this.current;
    if (name === undefined) return;
    const ms = Math.max(0, now - this.since);
    this.since = now;
    this.message.phases.push({ name, ms });
  }
}

const MODE_WORD: Record<FailoverMode, string> = {
  'strict-writer': 'writer',
  'reader-or-writer': 'reader-or-writer',
  'strict-reader': 'reader',
};

/**
 * The summary line of a failover, e.g. `failover conn 17 cluster X: writer a → b in 612 ms
 * (detect 3, search 580, reconnect 29); FailoverSuccessError`.
 */
export function failoverLine(m: FailoverMessage): string {
  const phases = m.phases.map((p) => `${p.name} ${Math.round(p.ms)}`).join(', ');
  const total = m.durationMs === undefined ? '?' : String(Math.round(m.durationMs));
  return (
    `failover conn ${m.connectionId} cluster ${m.clusterId}: ${MODE_WORD[m.mode]} ` +
    `${m.oldHost ?? '(unknown)'} → ${m.newHost ?? '(none)'} in ${total} ms (${phases}); ${m.outcome ?? 'unknown'}`
  );
}
