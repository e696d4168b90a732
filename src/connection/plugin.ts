/**
 * The plugin contract: hooks a plugin may implement, the methods it subscribes to, the
 * factory that creates it per logical connection, and the service it talks to.
 *
 * Pipelines are composed once per logical connection: for each method, the subscribed
 * plugins in weight order, each receiving a precomposed `next`. A call allocates one
 * closure (the `run` thunk), never one per plugin.
 */
import type { ConnectionCounts } from '../selectors/connection-counts.js';
import type { FailoverMode, ResolvedConfig } from '../core/wrapper-options.js';
import type { Dialect } from '../dialects/dialect.js';
import type {
  ConnectOptions,
  DriverAdapter,
  ErrorKind,
  PhysicalConnection,
  SessionState,
} from '../drivers/driver.js';
import type { HostAvailability, HostInfo, HostRole } from '../drivers/host-info.js';
import type { HostListProvider } from '../topology/host-list-provider.js';
import type { RdsUrlType } from '../topology/rds-url.js';
import type { CredentialSourceMaker } from './credentials.js';

/** Network-bound methods of a logical connection; each goes through the `execute` pipeline. */
export type NetworkMethod =
  'query' | 'execute' | 'prepare' | 'beginTransaction' | 'commit' | 'rollback' | 'ping' | 'changeUser';

export type PipelineMethod = 'connect' | NetworkMethod;

export const NETWORK_METHODS: readonly NetworkMethod[] = [
  'query',
  'execute',
  'prepare',
  'beginTransaction',
  'commit',
  'rollback',
  'ping',
  'changeUser',
];

export type ExecuteNext = <T>(method: NetworkMethod, run: () => Promise<T>) => Promise<T>;

const SEND_ONCE = Symbol('aurora-ha.sendOnce');

/**
 * Mark a `run` that must not be called a second time: its caller holds the first driver
 * command and would never hear of a second one (mysql2's event-emitter form,
 * `conn.query(sql).on('result', …)`, and a command object handed in by the caller). A plugin
 * that resends a call (the failover base, after a read-only rejection) asks `mayResend` first.
 */
export function sendOnce<T>(run: () => Promise<T>): () => Promise<T> {
  return Object.assign(run, { [SEND_ONCE]: true });
}

/** Whether calling `run` again (on the connection current then) reaches the caller: not after `sendOnce`. */
export function mayResend(run: () => Promise<unknown>): boolean {
  return (run as { [SEND_ONCE]?: boolean })[SEND_ONCE] !== true;
}
export type ConnectNext = (host: HostInfo, isInitial: boolean) => Promise<PhysicalConnection>;

export interface Plugin {
  readonly code: string;
  /** Methods whose pipeline includes this plugin; `connect` is separate from the network methods. */
  readonly subscribes: readonly PipelineMethod[];
  /** Open a physical connection (call `next` to go on down the pipeline, or open another host). */
  connect?(host: HostInfo, isInitial: boolean, next: ConnectNext): Promise<PhysicalConnection>;
  /** Wrap a network-bound call; `run` reads the service's current connection when invoked. */
  execute?<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T>;
  /** The cached topology changed (hosts added/removed, roles or availability changed). */
  notifyHostListChanged?(hosts: readonly HostInfo[]): void;
  /** The logical connection switched to another physical connection. */
  notifyConnectionChanged?(host: HostInfo): void;
  /** The logical connection is ending: stop timers, close anything opened. */
  release?(): Promise<void>;
  /**
   * The user called end() / destroy(): synchronously, before calls in flight drain and
   * release() runs. Let go at once of what other connections read (leastConnections counts:
   * a pool replacing this connection must not see it). Optional; never throws.
   */
  ending?(): void;
  /**
   * Whether the idle connection should move before the pool hands it out (its reader lags past
   * `maxReplicaLagMs`; docs/read-scaling.md). No I/O. Optional.
   */
  wantsToMove?(): boolean;
  /** Move the idle connection now (see `wantsToMove`); resolves true when it moved; never rejects. Optional. */
  moveNow?(): Promise<boolean>;
  /**
   * `readWriteSplitting`: route the logical connection to a reader (true) or back to the writer
   * (false). Rejects with a ReadWriteSplittingError. Optional: one plugin per connection has it.
   */
  setReadOnly?(readOnly: boolean): Promise<void>;
  /** `readWriteSplitting`: true while the connection is in read-only mode (no I/O). Optional. */
  isReadOnly?(): boolean;
  /**
   * True when this plugin will recover the logical connection from a lost socket on its next
   * use (failover enabled and applicable). Facades then do not emit `'error'` for that loss
   * (ARCHITECTURE.md › Idle loss: a loss we recover from is not an `'error'` event; pools discard on `'error'`).
   */
  recoversFromLoss?(): boolean;
  /**
   * Whether a lost socket may be recovered later (e.g. once the topology is learnt): false when
   * no failover is possible at all (failover disabled, or already failed), so facades can end
   * a connection the plain driver would end.
   */
  mayRecoverLoss?(): boolean;
}

export interface PluginFactory {
  /** Canonical code. */
  readonly code: string;
  /** Other spellings accepted in `plugins` (seed names such as `failover_v2`). */
  readonly aliases: readonly string[];
  /** Order in every pipeline: lower weight = outer (called first). Documented in docs/plugins.md. */
  readonly weight: number;
  create(service: PluginService): Plugin;
  /**
   * A credential plugin (`iam`, `secretsManager`): the source every connect of the logical
   * connection asks for credentials (src/connection/credentials.ts). Called once per logical
   * connection, before `create`; may throw a ConfigurationError. At most one per connection.
   */
  readonly credentials?: CredentialSourceMaker;
}

/**
 * What plugins may see and change on their logical connection. One per logical connection.
 */
export interface PluginService {
  readonly config: ResolvedConfig;
  readonly driver: DriverAdapter;
  /**
   * The `leastConnections` counts this connection belongs to: its aurora-ha pool's (set by the
   * pool before the connection opens), else undefined (the process's). Optional.
   */
  readonly connectionCounts?: ConnectionCounts | undefined;
  /** Process-unique id of the logical connection (channels, log lines). Optional for hand-built services. */
  readonly connectionId?: number;
  /** The current physical connection (undefined before connect and after end). */
  readonly current: PhysicalConnection | undefined;
  /** The host of the current physical connection. */
  readonly currentHost: HostInfo | undefined;
  /** The host the user asked for first (cluster endpoint, instance, IP...). */
  readonly initialHost: HostInfo;
  /** Classification of the initial host name. */
  readonly initialUrlType: RdsUrlType;
  /** Detected on first connect (cached per host); undefined before. */
  readonly dialect: Dialect | undefined;
  readonly hostListProvider: HostListProvider;
  /** True once the user called end()/destroy(). */
  readonly closing: boolean;
  /** Last known topology (no I/O). */
  hosts(): readonly HostInfo[];
  /**
   * Refresh topology through the cache (TTL `topologyRefreshMs`): a stale copy is refreshed by
   * joining a read in flight (any connection), else through `conn`; bounded by `timeoutMs`.
   */
  refreshHostList(conn?: PhysicalConnection, timeoutMs?: number): Promise<void>;
  /** Query topology now through `conn` (or the current connection). */
  forceRefreshHostList(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]>;
  /** Open a physical connection through the connect pipeline (plugins may intervene). */
  connect(host: HostInfo, isInitial?: boolean): Promise<PhysicalConnection>;
  /**
   * Open a physical connection directly with the driver (no plugin), e.g. from failover itself;
   * published on `aurora-ha:connect` as `failover` unless `options.purpose` says otherwise.
   */
  forceConnect(host: HostInfo, options?: ConnectOptions): Promise<PhysicalConnection>;
  /**
   * Replace the current physical connection; the previous one is aborted (unless `keepPrevious`:
   * a read/write switch, whose caller keeps it open for the next switch); plugins are notified.
   */
  setCurrentConnection(conn: PhysicalConnection, host: HostInfo, keepPrevious?: boolean): Promise<void>;
  /**
   * The failover mode a plugin asks for now, instead of the configured one (`readWriteSplitting`:
   * the reader side fails over in a reader mode, the writer side in `strict-writer`). Optional.
   */
  readonly failoverModeOverride?: FailoverMode | undefined;
  /** Set (or clear, with undefined) `failoverModeOverride`. Optional. */
  overrideFailoverMode?(mode: FailoverMode | undefined): void;
  /** True while the current physical connection is inside a transaction. */
  inTransaction(): boolean;
  classify(err: unknown): ErrorKind;
  /** Mark hosts (by `host:port` or instance id) available/unavailable in the shared topology. */
  setAvailability(hostKeys: readonly string[], availability: HostAvailability): void;
  identifyConnection(conn: PhysicalConnection): Promise<HostInfo | undefined>;
  hostRole(conn: PhysicalConnection): Promise<HostRole>;
  /**
   * Before any physical connection exists (a failed initial connect): adopt the dialect an
   * earlier connection of this process detected for the initial host, which also makes the
   * cluster's shared topology visible through hosts(). True when a topology-aware dialect is
   * in use afterwards. Optional: a service that cannot tell returns false or omits it.
   */
  adoptKnownDialect?(): boolean;
  /**
   * A plugin learnt which instance a new physical connection (to a cluster endpoint) is on:
   * the process's per-instance connection counts use it. Optional.
   */
  identifiedAs?(conn: PhysicalConnection, instance: HostInfo): void;
  /** A failover of this logical connection failed (the facade emits `'failover'`). Optional. */
  notifyFailoverFailed?(from: PhysicalConnection | undefined, error: Error): void;
  /** True when the shared topology is older than `topologyRefreshMs` (no I/O). Optional. */
  topologyStale?(): boolean;
  /** Refresh the shared topology through the current (idle) connection; never rejects. Optional. */
  refreshTopologyQuietly?(timeoutMs: number): Promise<void>;
  /** Session state set through our API (autocommit/readOnly/isolation/schema), for keepSessionStateOnFailover. */
  sessionState(): SessionState;
  /**
   * The error the driver reported when `conn` (the current connection) lost its socket while
   * no call was in flight, if it reported one (ARCHITECTURE.md › Idle loss). Optional.
   */
  lossOf?(conn: PhysicalConnection): Error | undefined;
}
