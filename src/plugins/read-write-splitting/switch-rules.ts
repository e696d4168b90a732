/**
 * The pure decisions of `readWriteSplitting` (docs/read-scaling.md › setReadOnly), apart from
 * any I/O so the unit tests can state them: whether a kept side connection may be switched to,
 * which failover mode each side runs in, what to do when no reader is reachable, and which
 * session state `transferSessionStateOnSwitch` carries from one side to the other.
 */
import type { FailoverMode } from '../../core/wrapper-options.js';
import type { SessionState } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../drivers/host-info.js';

/** One side (writer or reader) the logical connection keeps. */
export interface SideState {
  /** Closed, aborted or lost while idle. */
  readonly closed: boolean;
  /** The host it was opened to (an instance, or the endpoint of the initial connection). */
  readonly host: HostInfo;
}

/**
 * Whether a kept side may be switched to as it is: open, and not on an instance the topology
 * now gives the other role (a reader promoted by a failover, a writer demoted). A side opened to
 * a host the topology does not name (a cluster endpoint) is kept while open: the failover
 * plugins move it when it fails or, in strict-writer mode, when a write is refused read-only.
 */
export function sideUsable(
  side: SideState | undefined,
  role: 'writer' | 'reader',
  hosts: readonly HostInfo[],
): boolean {
  if (side === undefined || side.closed) return false;
  const key = hostKey(side.host);
  const entry = hosts.find((h) => hostKey(h) === key);
  return entry === undefined || entry.role === role;
}

/**
 * The failover mode of the side in use: the writer side is the writer (`strict-writer`, whatever
 * `failoverMode` says: that option speaks for the reader side here); the reader side fails over
 * to another reader (`strict-reader` when configured so, else `reader-or-writer`), which is what
 * lets a read whose reader died be resent on the replacement reader (retryReadsOnFailover).
 */
export function failoverModeForSide(
  side: 'writer' | 'reader',
  configured: FailoverMode | undefined,
): FailoverMode {
  if (side === 'writer') return 'strict-writer';
  return configured === 'strict-reader' ? 'strict-reader' : 'reader-or-writer';
}

/**
 * `setReadOnly(true)` found no reader to connect to (none in the topology, or none answered):
 * `fallback` stays on the writer in read-only mode (AWS's behaviour, one warning);
 * `fail` rejects (with `failoverMode: 'strict-reader'`, which never reads from the writer of a
 * cluster that has readers). A single-instance cluster falls back in both modes, as
 * strict-reader failover does.
 */
export function noReaderAction(
  configured: FailoverMode | undefined,
  readersInTopology: number,
): 'fallback' | 'fail' {
  return configured === 'strict-reader' && readersInTopology > 0 ? 'fail' : 'fallback';
}

/**
 * What `transferSessionStateOnSwitch` carries to the side switched to: the session state set
 * through aurora-ha's API (autocommit, isolation level, schema / database) with what the server
 * of the side left reported changed (PG: TimeZone, DateStyle, IntervalStyle, application_name;
 * MySQL: autocommit, database, tracked variables) winning. Read-only is never carried: it is
 * what the switch itself decides (the reader is read-only by nature, the writer is not).
 */
export function carriedSession(recorded: SessionState, reported: SessionState): SessionState {
  const parameters = { ...(recorded.parameters ?? {}), ...(reported.parameters ?? {}) };
  delete parameters['default_transaction_read_only'];
  const state: SessionState = { ...recorded, ...reported };
  delete state.readOnly;
  if (Object.keys(parameters).length > 0) state.parameters = parameters;
  else delete state.parameters;
  return state;
}

/** A stable key of a session state: equal keys need no statement on the side switched to. */
export function sessionKey(state: SessionState): string {
  const sorted = (o: object): string =>
    JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  const { parameters, ...rest } = state;
  return `${sorted(rest)}|${parameters === undefined ? '' : sorted(parameters)}`;
}
