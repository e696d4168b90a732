/**
 * The diagnostics channels of aurora-ha (docs/observability.md › Channels): their names, the
 * TypeScript shapes of their messages, and the helpers every layer publishes through. With no
 * subscriber (and no logger: log-taps.ts) a helper checks `hasSubscribers` and returns before
 * building anything, so an unobserved process pays one property read per event, and nothing at
 * all per query (no channel is published from the query path).
 *
 * - `aurora-ha:failover` (TracingChannel): one failover of one logical connection.
 * - `aurora-ha:connect` (TracingChannel): every physical connection aurora-ha opens.
 * - `aurora-ha:topology` (channel): what the process learnt about a cluster's hosts.
 * - `aurora-ha:monitor` (channel): the failover2 monitor's mode and verified writer, host-monitoring aborts.
 * - `aurora-ha:failover2` (channel, deprecated alias for one release): topology/monitor-events.ts.
 *
 * Subscribers' errors are reported once as a warning, never thrown (guarded-channel.ts).
 * Messages carry host names, ids, durations and error names/codes: never a password or token.
 */
import type { TracingChannel } from 'node:diagnostics_channel';
import type { FailoverMode } from '../core/wrapper-options.js';
import { guardedChannel, guardedTracingChannel, tracingHasSubscribers } from './guarded-channel.js';

export const FAILOVER_CHANNEL = 'aurora-ha:failover';
export const CONNECT_CHANNEL = 'aurora-ha:connect';
export const TOPOLOGY_CHANNEL = 'aurora-ha:topology';
export const MONITOR_CHANNEL = 'aurora-ha:monitor';

/** `host:port` of an address, as every message writes hosts. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

function key(a: Address): string {
  return `${a.host}:${a.port}`;
}

// ---- aurora-ha:connect ----------------------------------------------------------------------

/**
 * Why a physical connection is opened:
 * - `user`: the first connection of a logical connection a user opened (pg Client, mysql2 connection);
 * - `pool`: the same, for a connection a pool (`aurora-ha/pg` Pool, mysql2 pool) opened;
 * - `initial`: opened by the `initialConnection` plugin for a logical connection (user or pool);
 * - `failover`: opened during a failover (search, reconnect), or a role check after a read-only error;
 * - `monitor`: failover2's topology monitor (its own connection and its writer-search probes);
 * - `probe`: host monitoring's probe, the `fastestResponse` measurement, a late topology read
 *   or a role probe of a configured host.
 */
export type ConnectPurpose = 'user' | 'pool' | 'initial' | 'failover' | 'monitor' | 'probe';

/** The context of one `aurora-ha:connect` trace (the same object through start … asyncEnd). */
export interface ConnectMessage {
  readonly purpose: ConnectPurpose;
  /** `host:port` the socket was opened to (an instance, an endpoint or an address). */
  readonly host: string;
  /** The logical connection it is for (`user`, `pool`, `initial`, `failover`); undefined for shared monitors and probes. */
  readonly connectionId: number | undefined;
  /** `'ok'`, or the error's name (`Error`, `DatabaseError`, `AbortError` …); set before asyncStart / error. */
  outcome: string | undefined;
  /** The error's code when it has one (`ECONNREFUSED`, `28P01`, `ER_ACCESS_DENIED_ERROR` …). */
  errorCode: string | undefined;
  /** Connect + handshake + authentication, ms; set with `outcome`. */
  durationMs: number | undefined;
  /** Set by TracingChannel on failure (the driver's error). `result` is always undefined (the connection holds credentials). */
  error?: unknown;
}

const connectChannel: TracingChannel<unknown, ConnectMessage> =
  guardedTracingChannel<ConnectMessage>(CONNECT_CHANNEL);

// ---- aurora-ha:failover ---------------------------------------------------------------------

export type FailoverPhaseName = 'detect' | 'rollback' | 'search' | 'reconnect' | 'restore';

/**
 * One step of a failover: one entry per time the failover entered it, in order, so the entries
 * tile the failover (v2 may list `search, reconnect, search, reconnect` when its verified writer
 * did not take the connection and it waited for another); `ms` is that entry's time:
 * - `detect`: from the failing call's error (or the call that found the connection lost) to
 *   the failover's start (classification, the role check after a read-only error);
 * - `rollback`: the bounded ROLLBACK on the failed connection (inside a transaction only);
 * - `search`: finding the replacement (v2: waiting for the monitor's verified writer; v1 writer:
 *   until a new writer is known; reader modes: connecting to candidates, which is the whole search);
 * - `reconnect`: connecting to and verifying the chosen writer, and v1's topology refresh through it;
 * - `restore`: session restore and the switch of the logical connection.
 */
export interface FailoverPhase {
  readonly name: FailoverPhaseName;
  ms: number;
}

export type FailoverOutcome =
  'FailoverSuccessError' | 'TransactionResolutionUnknownError' | 'FailoverFailedError' | 'ConfigurationError';

/** What started the failover. */
export type FailoverTrigger = 'network' | 'read-only' | 'idle-loss' | 'connect';

/** The context of one `aurora-ha:failover` trace (the same object through start … asyncEnd). */
export interface FailoverMessage {
  /** The logical connection (process-unique, connection-ids.ts). */
  readonly connectionId: number;
  /** The cluster's topology-cache id (docs/observability.md › Cluster ids). */
  readonly clusterId: string;
  /** The plugin failing over: `failover` (v1) or `failover2`. */
  readonly plugin: string;
  readonly mode: FailoverMode;
  readonly trigger: FailoverTrigger;
  /** `host:port` of the instance (or endpoint) that failed, when known. */
  readonly oldHost: string | undefined;
  /** `host:port` of the replacement; set before asyncStart when the failover succeeded. */
  newHost: string | undefined;
  /**
   * The failing call's outcome: `FailoverSuccessError` / `TransactionResolutionUnknownError`
   * (by the call that started it; joined calls may differ), `FailoverFailedError`, or
   * `ConfigurationError` (a host pattern is missing); set before asyncStart / error.
   */
  outcome: FailoverOutcome | undefined;
  /** The steps so far, one entry per phase entered, in order; complete at asyncStart / error. */
  readonly phases: FailoverPhase[];
  /** From the failing call's error to the end (all phases), ms; set with `outcome`. */
  durationMs: number | undefined;
  /** When the failing call's error arrived (ms since epoch). */
  readonly startedAt: number;
  /** Set by TracingChannel when the failover failed (the FailoverFailedError). No `result` is published. */
  error?: unknown;
}

const failoverChannel: TracingChannel<unknown, FailoverMessage> =
  guardedTracingChannel<FailoverMessage>(FAILOVER_CHANNEL);

// ---- aurora-ha:topology ---------------------------------------------------------------------

/**
 * What the process's shared view of a cluster learnt (topology/topology-cache.ts): one message
 * per kind of change, `clusterId` the topology-cache id; hosts as `host:port`.
 */
export type TopologyMessage =
  | {
      readonly event: 'refreshed';
      readonly clusterId: string;
      /** Hosts in the accepted topology. */
      readonly hosts: number;
      readonly at: number;
    }
  | {
      readonly event: 'writer-changed';
      readonly clusterId: string;
      readonly before: string | undefined;
      readonly after: string | undefined;
      readonly at: number;
    }
  | {
      readonly event: 'readers-changed';
      readonly clusterId: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
      /** The readers now. */
      readonly readers: readonly string[];
      readonly at: number;
    }
  | {
      readonly event: 'availability-changed';
      readonly clusterId: string;
      readonly host: string;
      readonly before: 'available' | 'unavailable';
      readonly after: 'available' | 'unavailable';
      readonly at: number;
    };

const topologyChannel = guardedChannel(TOPOLOGY_CHANNEL);

// ---- aurora-ha:monitor ----------------------------------------------------------------------

export type MonitorMessage =
  | {
      /** The failover2 topology monitor of `clusterId` (its monitor key) entered `mode`. */
      readonly event: 'mode';
      readonly clusterId: string;
      readonly mode: 'normal' | 'panic';
      /** panic: `waiters` (a connection reported its writer failed) or `own-connection-lost`; normal: `writer-verified` or `search-ended`. */
      readonly reason: string;
      readonly at: number;
    }
  | {
      /** A probe of the monitor's search found the instance that says it is the writer. */
      readonly event: 'writer-verified';
      readonly clusterId: string;
      readonly writer: string;
      /** From the start of the search (panic) to the verification, ms. */
      readonly searchMs: number;
      readonly at: number;
    }
  | {
      /** Host monitoring declared `host` unavailable and aborted the calls in flight on it. */
      readonly event: 'host-monitoring-abort';
      readonly host: string;
      readonly callsAborted: number;
      /** From the oldest aborted call's start to the abort, ms (undefined when none was in flight). */
      readonly detectionMs: number | undefined;
      readonly at: number;
    };

const monitorChannel = guardedChannel(MONITOR_CHANNEL);

// ---- in-process consumers (logging) ---------------------------------------------------------

/**
 * The same messages, for consumers inside the process (log-taps.ts: loggers and NODE_DEBUG).
 * Set only while a logger or NODE_DEBUG=aurora-ha is in use; each method must never throw.
 */
export interface ObserveTap {
  connected(m: ConnectMessage): void;
  topology(m: TopologyMessage): void;
  monitor(m: MonitorMessage): void;
}

let tap: ObserveTap | undefined;

/** Install (or remove, with undefined) the in-process consumer. */
export function setObserveTap(next: ObserveTap | undefined): void {
  tap = next;
}

// ---- publishing -----------------------------------------------------------------------------

/** Publish on `aurora-ha:topology`; `make` runs only when someone listens. */
export function publishTopology(make: () => TopologyMessage): void {
  const subscribed = topologyChannel.hasSubscribers;
  if (!subscribed && tap === undefined) return;
  const m = make();
  if (subscribed) topologyChannel.publish(m);
  tap?.topology(m);
}

/** Whether `publishTopology` would build a message (for callers whose diff costs something). */
export function topologyObserved(): boolean {
  return topologyChannel.hasSubscribers || tap !== undefined;
}

/** Publish on `aurora-ha:monitor`; `make` runs only when someone listens. */
export function publishMonitor(make: () => MonitorMessage): void {
  const subscribed = monitorChannel.hasSubscribers;
  if (!subscribed && tap === undefined) return;
  const m = make();
  if (subscribed) monitorChannel.publish(m);
  tap?.monitor(m);
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return typeof err;
}

function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

/**
 * Open a physical connection under the `aurora-ha:connect` trace. Unobserved: `connect()` as it
 * is. Observed: start / end around the call, asyncStart / asyncEnd (and error) when it settles,
 * with `outcome`, `errorCode` and `durationMs` filled in before.
 */
export function traceConnect<C>(
  purpose: ConnectPurpose,
  address: Address,
  connectionId: number | undefined,
  connect: () => Promise<C>,
): Promise<C> {
  const traced = tracingHasSubscribers(connectChannel);
  if (!traced && tap === undefined) return connect();
  const m: ConnectMessage = {
    purpose,
    host: key(address),
    connectionId,
    outcome: undefined,
    errorCode: undefined,
    durationMs: undefined,
  };
  const started = performance.now();
  let opened: C | undefined;
  const run = async (): Promise<void> => {
    try {
      opened = await connect();
      m.outcome = 'ok';
    } catch (err) {
      m.outcome = errorName(err);
      m.errorCode = errorCodeOf(err);
      throw err;
    } finally {
      m.durationMs = performance.now() - started;
      tap?.connected(m);
    }
  };
  // The connection itself is never the trace's `result`: its driver object holds the credentials.
  const done = traced ? connectChannel.tracePromise(run, m) : run();
  return done.then(() => opened as C);
}

/** Whether a failover would be traced (then the failover base records its phases). */
export function failoverTraced(): boolean {
  return tracingHasSubscribers(failoverChannel);
}

/**
 * Run one failover under the `aurora-ha:failover` trace (only call when `failoverTraced()`).
 * `run` fills in `newHost`, `outcome`, the phases and `durationMs` before it settles.
 */
export function traceFailover(m: FailoverMessage, run: () => Promise<void>): Promise<void> {
  return failoverChannel.tracePromise(run, m);
}
