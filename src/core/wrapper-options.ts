/**
 * The types of aurora-ha's own options (canonical names: ARCHITECTURE.md › Parameter names). Parsing, defaults and
 * validation live in `options-table.ts` / `parse-config.ts`; this file is only the shape.
 */

export type FailoverMode = 'strict-writer' | 'reader-or-writer' | 'strict-reader';

export type HostSelectorStrategy =
  'random' | 'roundRobin' | 'leastConnections' | 'highestWeight' | 'weightedRandom' | 'fastestResponse';

/**
 * A canonical plugin code (`failover`, `failover2`, `initialConnection`, `hostMonitoring`; aliases
 * such as `failover_v2` map onto these). The plugin registry owns the list (`KNOWN_PLUGINS`).
 */
export type PluginCode = string;

/**
 * Where aurora-ha logs (option `logger`): any object with these four methods taking one
 * string — `console`, a pino or winston logger. docs/observability.md › Logging.
 */
export interface AuroraLogger {
  debug(message: string): unknown;
  info(message: string): unknown;
  warn(message: string): unknown;
  error(message: string): unknown;
}

/**
 * Keys of AWS's Node wrapper accepted as written (their dispositions: docs/configuration.md ›
 * AWS Node wrapper keys). Keys whose disposition is `error` (IAM, Secrets Manager, federated
 * authentication, `profileName`) are left out, so TypeScript flags them before run time does.
 */
export interface AwsWrapperOptions {
  /** AWS Node's name of `readerInitialConnectionHostSelectorStrategy` (canonical). */
  readerHostSelectorStrategy?: HostSelectorStrategy;
  /** AWS Node's name of `enableFailover`. */
  enableClusterAwareFailover?: boolean;
  /** AWS Node's name of `topologyRefreshMs`. */
  clusterTopologyRefreshRateMs?: number;
  /** AWS Node's name of `keepSessionStateOnFailover`. */
  transferSessionStateOnSwitch?: boolean;
  /** AWS Node's name of `failureDetectionTimeMs`. */
  failureDetectionTime?: number;
  /** AWS Node's name of `failureDetectionIntervalMs`. */
  failureDetectionInterval?: number;
  /** Sets the driver's connect timeout (pg `connectionTimeoutMillis`, mysql2 `connectTimeout`), ms. */
  wrapperConnectTimeout?: number;
  /** Sets pg's `query_timeout` (ms); mysql2 has no connection-wide one (warned, ignored). */
  wrapperQueryTimeout?: number;
  /** `keepAlive` / `keepAliveInitialDelayMillis` for the driver. */
  wrapperKeepAliveProperties?:
    { keepAlive?: boolean; keepAliveInitialDelayMillis?: number } | ReadonlyMap<string, unknown>;
  /** Covered or ignored with a warning (docs/configuration.md › AWS Node wrapper keys). */
  autoSortWrapperPluginOrder?: boolean;
  dialect?: string;
  connectionProvider?: unknown;
  mysqlQueryTimeout?: number;
  resetSessionStateOnClose?: boolean;
  rollbackOnSwitch?: boolean;
  defaultHostAvailabilityStrategy?: string;
  hostAvailabilityStrategyMaxRetries?: number;
  hostAvailabilityStrategyInitialBackoffTimeSec?: number;
  singleWriterConnectionString?: boolean;
  enableGreenHostReplacement?: boolean;
  monitorDisposalTime?: number;
  enableTelemetry?: boolean;
  telemetrySubmitToplevel?: boolean;
  telemetryTracesBackend?: string;
  telemetryMetricsBackend?: string;
  telemetryFailoverAdditionalTopTrace?: boolean;
  limitlessWaitForTransactionRouterInfo?: boolean;
  limitlessGetTransactionRouterInfoRetryIntervalMs?: number;
  limitlessGetTransactionRouterInfoMaxRetries?: number;
  limitlessTransactionRouterMonitorIntervalMs?: number;
  limitlessConnectMaxRetries?: number;
  limitlessTransactionRouterMonitorDisposalTimeMs?: number;
  customDatabaseDialect?: unknown;
  customEndpointInfoRefreshRateMs?: number;
  waitForCustomEndpointInfo?: boolean;
  waitForCustomEndpointInfoTimeoutMs?: number;
  customEndpointMonitorExpirationMs?: number;
  customEndpointRegion?: string;
  bgConnectTimeoutMs?: number;
  bgdId?: string;
  bgBaselineMs?: number;
  bgIncreasedMs?: number;
  bgHighMs?: number;
  bgSwitchoverTimeoutMs?: number;
  bgSuspendNewBlueConnections?: boolean;
  /** Settings of AWS's monitoring connections: ignored with one warning per key. */
  [key: `monitoring_${string}`]: unknown;
  [key: `topology_monitoring_${string}`]: unknown;
  [key: `blue_green_monitoring_${string}`]: unknown;
  [key: `frt_${string}`]: unknown;
  [key: `limitless_router_monitor_${string}`]: unknown;
}

/**
 * AWS credentials for the `iam` and `secretsManager` plugins (option `awsCredentialsProvider`):
 * fixed keys, or a provider function as the AWS SDK v3 takes (`fromIni()`, `fromEnv()`, …).
 * Structurally the SDK's `AwsCredentialIdentity | AwsCredentialIdentityProvider`.
 */
export interface AwsCredentialIdentityLike {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type AwsCredentialsOption = AwsCredentialIdentityLike | (() => Promise<AwsCredentialIdentityLike>);

/** What users may pass (in the config object, or as connection-string query parameters). */
export interface WrapperOptions extends AwsWrapperOptions {
  plugins?: readonly string[] | string;
  failoverMode?: FailoverMode | 'strict_writer' | 'reader_or_writer' | 'strict_reader';
  clusterInstanceHostPattern?: string;
  enableFailover?: boolean;
  failoverTimeoutMs?: number;
  failoverClusterTopologyRefreshRateMs?: number;
  failoverReaderConnectTimeoutMs?: number;
  failoverWriterReconnectIntervalMs?: number;
  failoverReconnectConcurrency?: number;
  keepSessionStateOnFailover?: boolean;
  retryReadsOnFailover?: boolean;
  topologyRefreshMs?: number;
  clusterTopologyHighRefreshRateMs?: number;
  failoverReaderHostSelectorStrategy?: HostSelectorStrategy;
  enableConnectFailover?: boolean;
  readerInitialConnectionHostSelectorStrategy?: HostSelectorStrategy;
  /** New reader connections skip readers whose topology lag exceeds this (ms); off when not given. */
  maxReplicaLagMs?: number;
  openConnectionRetryTimeoutMs?: number;
  openConnectionRetryIntervalMs?: number;
  /** Explicit host list for a self-managed primary/standby cluster: `['a:5432', 'b:5432']`. */
  hosts?: readonly string[];
  /** Stable id used to share topology between connections; defaults to one derived from the hosts. */
  clusterId?: string;
  /** Turns for the `roundRobin` selector by instance name: `{ 'instance-1': 3 }` or `'instance-1:3,instance-2:1'`. */
  roundRobinHostWeightPairs?: Readonly<Record<string, number>> | string;
  /** @deprecated the earlier name of `roundRobinHostWeightPairs` (still accepted). */
  roundRobinHostWeights?: Readonly<Record<string, number>> | string;
  roundRobinDefaultWeight?: number;
  /** Relative chances for the `weightedRandom` selector by instance name (unlisted: 1). */
  weightedRandomHostWeightPairs?: Readonly<Record<string, number>> | string;
  /** @deprecated the earlier name of `weightedRandomHostWeightPairs` (still accepted). */
  weightedRandomHostWeights?: Readonly<Record<string, number>> | string;
  failureDetectionEnabled?: boolean;
  failureDetectionTimeMs?: number;
  failureDetectionIntervalMs?: number;
  failureDetectionCount?: number;
  /** Measurement interval of the `fastestResponse` selector (ms). */
  responseMeasurementIntervalMs?: number;
  /** Where aurora-ha logs (debug / info / warn / error); nothing is logged without it (or NODE_DEBUG=aurora-ha). */
  logger?: AuroraLogger;
  /** Plugin `iam` (docs/iam.md): region of the token; default parsed from an RDS host name. */
  iamRegion?: string;
  /** Plugin `iam`: host name the token is signed for instead of the host connected to. */
  iamHost?: string;
  /** Plugin `iam`: port the token is signed for instead of the port connected to. */
  iamDefaultPort?: number;
  /** Plugin `iam`: how long a token is reused, ms (AWS's `iamTokenExpiration` is in seconds). */
  iamTokenExpirationMs?: number;
  iamTokenExpiration?: number;
  /** Plugin `secretsManager` (docs/secrets-manager.md): secret name or ARN. */
  secretId?: string;
  secretRegion?: string;
  /** Plugin `secretsManager`: Secrets Manager endpoint URL (VPC endpoint, or the emulator's). */
  secretEndpoint?: string;
  /** Plugin `secretsManager`: how long a secret read is reused, ms (AWS's `secretExpirationSec` is in seconds). */
  secretExpirationMs?: number;
  secretExpirationSec?: number;
  secretUsernameProperty?: string;
  secretPasswordProperty?: string;
  /** `iam` / `secretsManager`: AWS credentials; default the SDK's default provider chain. */
  awsCredentialsProvider?: AwsCredentialsOption;
  /** `iam` / `secretsManager`: profile of the shared AWS config files for the default chain. */
  awsProfile?: string;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  plugins: readonly PluginCode[];
  /** undefined: derive from the URL (reader cluster endpoint → reader-or-writer, else strict-writer). */
  failoverMode: FailoverMode | undefined;
  clusterInstanceHostPattern: string | undefined;
  enableFailover: boolean;
  failoverTimeoutMs: number;
  failoverClusterTopologyRefreshRateMs: number;
  failoverReaderConnectTimeoutMs: number;
  failoverWriterReconnectIntervalMs: number;
  failoverReconnectConcurrency: number;
  keepSessionStateOnFailover: boolean;
  retryReadsOnFailover: boolean;
  topologyRefreshMs: number;
  clusterTopologyHighRefreshRateMs: number;
  failoverReaderHostSelectorStrategy: HostSelectorStrategy;
  enableConnectFailover: boolean;
  readerInitialConnectionHostSelectorStrategy: HostSelectorStrategy;
  openConnectionRetryTimeoutMs: number;
  openConnectionRetryIntervalMs: number;
  hosts: readonly { host: string; port: number }[] | undefined;
  clusterId: string | undefined;
  roundRobinHostWeightPairs: Readonly<Record<string, number>>;
  roundRobinDefaultWeight: number;
  /** Host monitoring (plugin `hostMonitoring`); always set by resolveConfig, optional so hand-built options stay valid. */
  failureDetectionEnabled?: boolean;
  failureDetectionTimeMs?: number;
  failureDetectionIntervalMs?: number;
  failureDetectionCount?: number;
  /** Always set by resolveConfig; optional so hand-built options stay valid. */
  weightedRandomHostWeightPairs?: Readonly<Record<string, number>>;
  /** Always set by resolveConfig; optional so hand-built options stay valid (default 30000). */
  responseMeasurementIntervalMs?: number;
  /** undefined: readers are chosen whatever their lag. */
  maxReplicaLagMs?: number | undefined;
  /** The `logger` option; undefined when not given. */
  logger?: AuroraLogger | undefined;
  /** Plugins `iam` and `secretsManager`; always set by resolveConfig (undefined when not given). */
  iamRegion?: string | undefined;
  iamHost?: string | undefined;
  iamDefaultPort?: number | undefined;
  iamTokenExpirationMs?: number;
  secretId?: string | undefined;
  secretRegion?: string | undefined;
  secretEndpoint?: string | undefined;
  secretExpirationMs?: number;
  secretUsernameProperty?: string;
  secretPasswordProperty?: string;
  awsCredentialsProvider?: AwsCredentialsOption | undefined;
  awsProfile?: string | undefined;
}

/**
 * A validated configuration: wrapper options, the initial host(s), and the options that
 * belong to the driver (wrapper-owned keys removed, everything else untouched).
 */
export interface ResolvedConfig<TDriverConfig = Record<string, unknown>> {
  options: ResolvedOptions;
  /** The host(s) the user asked for, in order (first is the initial host). */
  initialHosts: readonly { host: string; port: number }[];
  driverConfig: TDriverConfig;
}
