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

/** What users may pass (in the config object, or as connection-string query parameters). */
export interface WrapperOptions {
  plugins?: readonly string[] | string;
  failoverMode?: FailoverMode | 'strict_writer' | 'reader_or_writer' | 'strict_reader';
  clusterInstanceHostPattern?: string;
  enableFailover?: boolean;
  failoverTimeoutMs?: number;
  failoverClusterTopologyRefreshRateMs?: number;
  failoverReaderConnectTimeoutMs?: number;
  failoverWriterReconnectIntervalMs?: number;
  keepSessionStateOnFailover?: boolean;
  topologyRefreshMs?: number;
  clusterTopologyHighRefreshRateMs?: number;
  failoverReaderHostSelectorStrategy?: HostSelectorStrategy;
  enableConnectFailover?: boolean;
  readerInitialConnectionHostSelectorStrategy?: HostSelectorStrategy;
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
  keepSessionStateOnFailover: boolean;
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
