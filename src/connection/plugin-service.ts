/**
 * What the plugins of one logical connection see and change (PluginService): the current
 * physical connection and host, the host list through the chosen provider, the dialect
 * (detected once on the first physical connection), forced driver connects, availability
 * marks, and the session state the user set through our API.
 */
import type { ConnectionCounts } from '../selectors/connection-counts.js';
import type { FailoverMode, ResolvedConfig } from '../core/wrapper-options.js';
import { cachedDialect, detectDialect } from '../dialects/detect-dialect.js';
import type { Dialect } from '../dialects/dialect.js';
import type {
  ConnectOptions,
  DriverAdapter,
  ErrorKind,
  PhysicalConnection,
  SessionState,
} from '../drivers/driver.js';
import type { HostAvailability, HostInfo, HostRole } from '../drivers/host-info.js';
import { hostKey, makeHost } from '../drivers/host-info.js';
import type { HostListProvider } from '../topology/host-list-provider.js';
import type { HostPattern } from '../topology/host-pattern.js';
import { effectiveHostPattern, formatHostPattern, parseHostPattern } from '../topology/host-pattern.js';
import type { RdsUrlType } from '../topology/rds-url.js';
import { classifyHost } from '../topology/rds-url.js';
import { StaticHostListProvider } from '../topology/static-host-list-provider.js';
import { TopologyHostListProvider } from '../topology/topology-host-list-provider.js';
import { withTimeout } from '../core/time.js';
import { ConfigurationError, ConnectionClosedError } from '../core/errors.js';
import type { ConnectNext, Plugin, PluginService } from './plugin.js';
import type { ConnectPurpose } from '../observe/channels.js';
import { nextConnectionId } from '../observe/connection-ids.js';
import { moveOpenCount } from '../observe/open-connections.js';

/** Host list providers we create all support shared availability marks. */
type MarkingHostListProvider = HostListProvider & {
  setAvailability(keys: readonly string[], availability: HostAvailability): void;
};

/** Told (synchronously) when the current physical connection changed: the facade re-attaches its events. */
export interface ConnectionObserver {
  /** `switched`: a read/write switch (readWriteSplitting), not a failover: `previous` stays open. */
  connectionChanged(
    conn: PhysicalConnection,
    previous: PhysicalConnection | undefined,
    switched?: boolean,
  ): void;
  /** A failover failed: the logical connection is unusable (the facade emits `'failover'`). */
  failoverFailed?(from: PhysicalConnection | undefined, error: Error): void;
}

const NO_PLUGINS: readonly Plugin[] = Object.freeze([]);

/** Flavours whose topology rows name instances by id only: host names need a pattern. */

export class ConnectionPluginService implements PluginService {
  readonly config: ResolvedConfig;
  readonly driver: DriverAdapter;
  readonly initialHost: HostInfo;
  readonly initialUrlType: RdsUrlType;
  /** Process-unique id of this logical connection (channels, log lines). */
  readonly connectionId: number = nextConnectionId();
  /** Its aurora-ha pool's `leastConnections` counts (set by the pool facade before it opens). */
  connectionCounts: ConnectionCounts | undefined = undefined;
  current: PhysicalConnection | undefined;
  currentHost: HostInfo | undefined;
  dialect: Dialect | undefined;
  closing = false;
  /** The failover mode readWriteSplitting asks for on the side in use (undefined: the configured one). */
  failoverModeOverride: FailoverMode | undefined = undefined;
  /** Physical connections whose idle loss is already listened for (a switched-back connection is listened to once). */
  private readonly watched = new WeakSet<PhysicalConnection>();
  /** Created on first use: a connection without plugins never needs one. */
  private provider: MarkingHostListProvider | undefined;
  private plugins: readonly Plugin[] = NO_PLUGINS;
  private connectPipeline: ConnectNext | undefined;
  private observer: ConnectionObserver | undefined;
  private session: SessionState | undefined;
  /** The driver config connects use: the user's, with credentials followed after changeUser. */
  private connectConfig: unknown;
  /** Whether the first physical connection detects the dialect and picks the host list provider. */
  private readonly detect: boolean;
  /** The loss the driver reported for the current connection (noted, recovered on next use: ARCHITECTURE.md › Idle loss). */
  private loss: { readonly conn: PhysicalConnection; readonly err: Error } | undefined;
  /** How this logical connection's own connects are published (`user`, or `pool` when a pool opened it). */
  private ownConnect: ConnectOptions;
  /** Where this connection is counted in open-connections.ts (`host:port`). */
  private countedOn: string | undefined;
  /** The instance a plugin identified a new physical connection as (before it is put in place). */
  private identified: { readonly conn: PhysicalConnection; readonly key: string } | undefined;

  constructor(config: ResolvedConfig, driver: DriverAdapter, detect: boolean) {
    this.config = config;
    this.driver = driver;
    this.detect = detect;
    this.connectConfig = config.driverConfig;
    const first = config.initialHosts[0];
    if (first === undefined)
      throw new ConfigurationError('host', 'No host to connect to: set host (or hosts).');
    this.initialHost = makeHost(first.host, first.port);
    this.initialUrlType = classifyHost(first.host);
    this.ownConnect = { purpose: 'user', connectionId: this.connectionId };
  }

  /** A pool opened this logical connection: its own connects are published as `pool`. */
  set purpose(purpose: ConnectPurpose) {
    this.ownConnect = { purpose, connectionId: this.connectionId };
  }

  /**
   * A plugin learnt which instance `conn` (a new physical connection, e.g. to a cluster
   * endpoint) is on: it is counted there once in place (open-connections.ts).
   */
  identifiedAs(conn: PhysicalConnection, instance: HostInfo): void {
    if (this.current === conn) {
      const key = hostKey(instance);
      moveOpenCount(this.countedOn, key);
      this.countedOn = key;
    } else this.identified = { conn, key: hostKey(instance) };
  }

  /** Wire the plugins and the composed connect pipeline (done once by the logical connection). */
  attach(plugins: readonly Plugin[], connectPipeline: ConnectNext): void {
    this.plugins = plugins;
    this.connectPipeline = connectPipeline;
  }

  observe(observer: ConnectionObserver): void {
    this.observer = observer;
  }

  get hostListProvider(): HostListProvider {
    return this.activeProvider();
  }

  private activeProvider(): MarkingHostListProvider {
    this.provider ??= this.staticProvider();
    return this.provider;
  }

  hosts(): readonly HostInfo[] {
    return this.activeProvider().cached();
  }

  async refreshHostList(conn?: PhysicalConnection, timeoutMs?: number): Promise<void> {
    await this.activeProvider().refresh(conn, timeoutMs);
  }

  forceRefreshHostList(conn?: PhysicalConnection, timeoutMs?: number): Promise<readonly HostInfo[]> {
    return this.activeProvider().forceRefresh(conn, timeoutMs);
  }

  /** True when the shared topology is older than `topologyRefreshMs` (no I/O). */
  topologyStale(): boolean {
    return this.provider?.isStale?.() === true;
  }

  /**
   * Refresh the shared topology through the current connection while connections live (one
   * refresh per cluster at a time, bounded; failures ignored): only when that connection is
   * idle, outside a transaction, so the query never lands inside the user's work.
   */
  refreshTopologyQuietly(timeoutMs: number): Promise<void> {
    const conn = this.current;
    const provider = this.provider;
    if (provider === undefined || conn === undefined || this.closing) return Promise.resolve();
    if (conn.inTransaction() || conn.acceptsQueries?.() !== true || provider.isStale?.() !== true)
      return Promise.resolve();
    return provider.forceRefresh(undefined, timeoutMs).then(
      () => undefined,
      () => undefined,
    );
  }

  connect(host: HostInfo, isInitial = false): Promise<PhysicalConnection> {
    if (this.connectPipeline === undefined) return this.driverConnect(host, isInitial);
    return this.connectPipeline(host, isInitial);
  }

  /** Published as `failover` unless the caller says otherwise (ConnectOptions.purpose). */
  forceConnect(host: HostInfo, options?: ConnectOptions): Promise<PhysicalConnection> {
    return this.driver.connect(host, this.connectConfig, {
      purpose: 'failover',
      ...options,
      connectionId: this.connectionId,
    });
  }

  /** The bottom of the connect pipeline: the driver, then (first time only) dialect detection. */
  readonly driverConnect = async (host: HostInfo, _isInitial: boolean): Promise<PhysicalConnection> => {
    const conn = await this.driver.connect(host, this.connectConfig, this.ownConnect);
    if (this.detect && this.dialect === undefined) {
      try {
        this.adoptDialect(await detectDialect(conn, this.driver.engine));
      } catch (err) {
        conn.abort();
        throw err;
      }
    }
    return conn;
  };

  overrideFailoverMode(mode: FailoverMode | undefined): void {
    this.failoverModeOverride = mode;
  }

  async setCurrentConnection(conn: PhysicalConnection, host: HostInfo, keepPrevious = false): Promise<void> {
    const previous = this.current;
    if (this.closing) {
      conn.abort();
      throw new ConnectionClosedError();
    }
    this.current = conn;
    this.currentHost = host;
    const identified = this.identified;
    this.identified = undefined;
    const counted = identified !== undefined && identified.conn === conn ? identified.key : hostKey(host);
    moveOpenCount(this.countedOn, counted);
    this.countedOn = counted;
    if (previous !== conn) {
      this.loss = undefined;
      // Note (do not act on) a loss while idle: the next call recovers (failover plugins).
      if (!this.watched.has(conn)) {
        this.watched.add(conn);
        conn.onError((err) => {
          if (this.current === conn && this.loss === undefined) this.loss = { conn, err };
        });
      }
    }
    if (previous !== undefined && previous !== conn && !keepPrevious) previous.abort();
    this.observer?.connectionChanged(conn, previous, keepPrevious && previous !== undefined);
    for (const p of this.plugins) p.notifyConnectionChanged?.(host);
    return Promise.resolve();
  }

  inTransaction(): boolean {
    return this.current?.inTransaction() ?? false;
  }

  lossOf(conn: PhysicalConnection): Error | undefined {
    return this.loss?.conn === conn ? this.loss.err : undefined;
  }

  /** Tell the facade a failover failed (it emits `'failover'` with outcome `failed`). */
  notifyFailoverFailed(from: PhysicalConnection | undefined, error: Error): void {
    try {
      this.observer?.failoverFailed?.(from, error);
    } catch {
      // a throwing listener must not change the failover's outcome
    }
  }

  classify(err: unknown): ErrorKind {
    return this.driver.classify(err, this.current);
  }

  setAvailability(hostKeys: readonly string[], availability: HostAvailability): void {
    this.activeProvider().setAvailability(hostKeys, availability);
  }

  identifyConnection(conn: PhysicalConnection): Promise<HostInfo | undefined> {
    return this.activeProvider().identifyConnection(conn);
  }

  hostRole(conn: PhysicalConnection): Promise<HostRole> {
    return this.activeProvider().hostRole(conn);
  }

  sessionState(): SessionState {
    return { ...(this.session ?? {}) };
  }

  /** Record session settings the user changed through our API (e.g. mysql2 changeUser database). */
  recordSessionState(change: SessionState): void {
    this.session = { ...(this.session ?? {}), ...change };
  }

  /**
   * The session now runs as other credentials (mysql2 `changeUser`): every later connect of this
   * logical connection, failover included, uses them, so a failover never silently changes the
   * privileges the session has.
   */
  followCredentials(change: Readonly<Record<string, unknown>>): void {
    const next = this.driver.withCredentials?.(this.connectConfig, change);
    this.connectConfig = next ?? { ...(this.connectConfig as Record<string, unknown>), ...change };
  }

  /** Stop using the host list provider (reference counting of the shared topology). */
  releaseProvider(): void {
    this.provider?.release();
    this.provider = undefined;
  }

  /** Forget the current physical connection without closing it (the caller closes it). */
  detachCurrent(): PhysicalConnection | undefined {
    const conn = this.current;
    this.current = undefined;
    this.identified = undefined;
    moveOpenCount(this.countedOn, undefined);
    this.countedOn = undefined;
    return conn;
  }

  /** Callbacks given to a host list provider (made when a provider is made, not per connection). */
  private providerHooks(): {
    current: () => PhysicalConnection | undefined;
    onChange: (hosts: readonly HostInfo[]) => void;
  } {
    return {
      current: () => this.current,
      onChange: (hosts) => {
        for (const p of this.plugins) p.notifyHostListChanged?.(hosts);
      },
    };
  }

  private staticProvider(probe = false): StaticHostListProvider {
    const hosts = this.config.options.hosts ?? this.config.initialHosts;
    const roleOf = async (conn: PhysicalConnection): Promise<HostRole> => {
      const d = this.dialect;
      if (d === undefined) return 'unknown';
      return (await d.isReader(conn)) ? 'reader' : 'writer';
    };
    return new StaticHostListProvider({
      clusterId: this.config.options.clusterId ?? hosts.map(hostKey).join(','),
      hosts,
      refreshMs: this.config.options.topologyRefreshMs,
      roleOf,
      ...(probe ? { probeRole: (h: HostInfo) => this.probeRole(h, roleOf) } : {}),
      ...this.providerHooks(),
    });
  }

  /** Open a short connection to `host`, ask its role, close it. */
  private async probeRole(
    host: HostInfo,
    roleOf: (c: PhysicalConnection) => Promise<HostRole>,
  ): Promise<HostRole> {
    const conn = await this.forceConnect(host, {
      timeoutMs: this.config.options.failoverReaderConnectTimeoutMs,
      purpose: 'probe',
    });
    try {
      const bound = this.config.options.failoverReaderConnectTimeoutMs;
      return await withTimeout(roleOf(conn), bound, 'role query', undefined, () => conn.abort());
    } finally {
      await conn.close();
    }
  }

  adoptKnownDialect(): boolean {
    if (this.dialect === undefined && this.detect) {
      const known = cachedDialect(this.initialHost);
      if (known !== undefined) this.adoptDialect(known);
    }
    return this.dialect?.topologyAware === true;
  }

  /**
   * Use `dialect` and the host list provider it calls for. Synchronous and never throws: an
   * Aurora cluster reached through an IP address or a custom domain without
   * `clusterInstanceHostPattern` keeps the static host list (failover, when enabled, reports
   * the missing pattern itself: host-pattern-check.ts), so `enableFailover: false` connects.
   */
  private adoptDialect(dialect: Dialect): void {
    this.dialect = dialect;
    let next: MarkingHostListProvider | undefined;
    const pattern = dialect.topologyAware ? this.instancePattern() : undefined;
    if (dialect.topologyAware && (pattern !== undefined || !dialect.needsInstancePattern)) {
      next = new TopologyHostListProvider({
        clusterId:
          this.config.options.clusterId ??
          (pattern ? formatHostPattern(pattern) : hostKey(this.initialHost)) + `#${this.initialHost.port}`,
        dialect,
        pattern,
        defaultPort: this.initialHost.port,
        refreshMs: this.config.options.topologyRefreshMs,
        ...this.providerHooks(),
      });
    } else if (dialect.probesConfiguredHosts) {
      next = this.staticProvider(true);
    }
    if (next !== undefined) {
      this.provider?.release();
      this.provider = next;
    }
  }

  /** The instance host pattern: explicit option, else derived from an RDS name. */
  private instancePattern(): HostPattern | undefined {
    const text = effectiveHostPattern(this.config.options, this.initialHost.host);
    return text !== undefined ? parseHostPattern(text) : undefined;
  }
}
