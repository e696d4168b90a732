/**
 * AWS's Node wrapper configuration, key by key: one row per `WrapperProperty` of
 * aws/aws-advanced-nodejs-wrapper (common/lib/wrapper_property.ts, commit 0f75b97) and per prefix
 * of its monitoring connections' properties, each with what aurora-ha does with it:
 * - `mapped`: same meaning; accepted under AWS's name (an alias in the options table, a driver
 *   key passed on as it is, or translated into the driver's own key);
 * - `covered`: another mechanism of ours does the job; accepted and dropped;
 * - `warn`: harmless tuning we do not have; one process warning per key, then dropped;
 * - `error`: ignoring it would change safety or security: a ConfigurationError naming the key.
 * parse-config.ts consults it for keys the options table does not know; docs/configuration.md
 * shows it (rendered by options-doc.ts).
 */

import { ConfigurationError } from '../core/errors.js';

export type AwsPropertyDisposition = 'mapped' | 'covered' | 'warn' | 'error';

type EngineName = 'postgres' | 'mysql';

/** Driver keys a translated property becomes, or undefined when the driver has no equivalent. */
type DriverTranslation = (
  engine: EngineName,
  value: unknown,
  key: string,
) => Record<string, unknown> | undefined;

export interface AwsPropertyRow {
  /** AWS's key, or a key prefix when `prefix` is true. */
  readonly name: string;
  readonly prefix?: true;
  readonly disposition: AwsPropertyDisposition;
  /**
   * `mapped`: our option (canonical name) it is an alias of; `driver` when it is the driver's
   * own key, passed on untouched; `driver:<pg key>/<mysql2 key>` when it is translated.
   */
  readonly ours?: string;
  /** `mapped` to driver keys: the translation (see `ours`). Undefined result: warn, dropped. */
  readonly translate?: DriverTranslation;
  /** One line: why this disposition. */
  readonly note: string;
}

function timeoutMs(value: unknown, key: string): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) {
    throw new ConfigurationError(
      key,
      `Invalid value for option \`${key}\`: expected an integer 0..2147483647 (ms).`,
      ['integer 0..2147483647 (ms)'],
    );
  }
  // AWS sets the driver's timeout only when the value is truthy: 0 leaves the driver's default.
  return n === 0 ? undefined : n;
}

const connectTimeout: DriverTranslation = (engine, value, key) => {
  const ms = timeoutMs(value, key);
  if (ms === undefined) return {};
  return engine === 'postgres' ? { connectionTimeoutMillis: ms } : { connectTimeout: ms };
};

const queryTimeout: DriverTranslation = (engine, value, key) => {
  const ms = timeoutMs(value, key);
  // mysql2 has no connection-wide query timeout (AWS sets `timeout` on each query object).
  if (engine === 'mysql') return undefined;
  return ms === undefined ? {} : { query_timeout: ms };
};

const keepAlive: DriverTranslation = (engine, value, key) => {
  const props = value instanceof Map ? (Object.fromEntries(value) as Record<string, unknown>) : value;
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new ConfigurationError(
      key,
      `Invalid value for option \`${key}\`: expected an object { keepAlive, keepAliveInitialDelayMillis }.`,
    );
  }
  const { keepAlive: on, keepAliveInitialDelayMillis: delay } = props as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (on !== undefined) out[engine === 'postgres' ? 'keepAlive' : 'enableKeepAlive'] = on;
  if (delay !== undefined)
    out[engine === 'postgres' ? 'keepAliveInitialDelayMillis' : 'keepAliveInitialDelay'] = delay;
  return out;
};

const driver = (name: string, note = "the driver's own option, passed on as it is"): AwsPropertyRow => ({
  name,
  disposition: 'mapped',
  ours: 'driver',
  note,
});
const alias = (name: string, ours: string, note: string): AwsPropertyRow => ({
  name,
  disposition: 'mapped',
  ours,
  note,
});
const covered = (name: string, note: string): AwsPropertyRow => ({ name, disposition: 'covered', note });
const warn = (name: string, note: string): AwsPropertyRow => ({ name, disposition: 'warn', note });
const error = (name: string, note: string): AwsPropertyRow => ({ name, disposition: 'error', note });
const warnPrefix = (name: string, note: string): AwsPropertyRow => ({
  name,
  prefix: true,
  disposition: 'warn',
  note,
});

const FEDERATED = 'federated / Okta authentication is not supported yet';
const TELEMETRY = 'telemetry is not implemented';
const LIMITLESS =
  'tuning of the limitless plugin, which is not supported (plugin code `limitless` is an error)';
const CUSTOM_ENDPOINT =
  'tuning of the customEndpoint plugin, which is not supported (plugin code `customEndpoint` is an error)';
const BLUE_GREEN = 'tuning of the bg plugin, which is not supported (plugin code `bg` is an error)';

/** Every WrapperProperty of AWS's Node wrapper and its monitoring prefixes, in AWS's order. */
export const AWS_PROPERTIES: readonly AwsPropertyRow[] = [
  alias(
    'plugins',
    'plugins',
    "a comma-separated string of AWS codes works; each code's disposition: docs/plugins.md",
  ),
  covered('autoSortWrapperPluginOrder', 'plugins always run in weight order (docs/plugins.md)'),
  driver('user'),
  driver('password'),
  driver('database'),
  driver('port'),
  driver('host'),
  covered('dialect', 'the database dialect is detected on the first connection and cached per host'),
  warn(
    'connectionProvider',
    "internal connection pools are not implemented: use aurora-ha/pg's Pool or mysql2's createPool",
  ),
  covered('mysqlQueryTimeout', "the library's own queries (topology, role checks) have their own bounds"),
  {
    name: 'wrapperConnectTimeout',
    disposition: 'mapped',
    ours: 'driver: connectionTimeoutMillis (pg) / connectTimeout (mysql2)',
    translate: connectTimeout,
    note: "AWS sets the driver's connect timeout from it; so do we (it wins over the driver key)",
  },
  {
    name: 'wrapperQueryTimeout',
    disposition: 'mapped',
    ours: 'driver: query_timeout (pg) / none (mysql2: warn)',
    translate: queryTimeout,
    note: "AWS sets pg's query_timeout from it; mysql2 has no connection-wide query timeout: pass `timeout` per query",
  },
  alias(
    'transferSessionStateOnSwitch',
    'keepSessionStateOnFailover',
    'restore the session state on the new connection after failover, and carry it to the side readWriteSplitting switches to (our default: false)',
  ),
  covered('resetSessionStateOnClose', 'a closed connection is discarded, its session state goes with it'),
  covered('rollbackOnSwitch', 'failover rolls back an open transaction on the failed connection (bounded)'),
  warn(
    'defaultHostAvailabilityStrategy',
    'a host that failed is tried last for 30 s and retried with backoff',
  ),
  warn(
    'hostAvailabilityStrategyMaxRetries',
    'a host that failed is tried last for 30 s and retried with backoff',
  ),
  warn(
    'hostAvailabilityStrategyInitialBackoffTimeSec',
    'a host that failed is tried last for 30 s and retried with backoff',
  ),
  alias('responseMeasurementIntervalMs', 'responseMeasurementIntervalMs', 'same name and meaning'),
  alias('iamHost', 'iamHost', 'plugin `iam`: same name and meaning (docs/iam.md)'),
  alias('iamDefaultPort', 'iamDefaultPort', 'plugin `iam`: same name and meaning'),
  alias('iamRegion', 'iamRegion', 'plugin `iam`: same name and meaning'),
  error('iamRoleArn', FEDERATED),
  error('iamIdpArn', FEDERATED),
  alias('iamTokenExpiration', 'iamTokenExpirationMs', 'plugin `iam`: same meaning (seconds)'),
  error('idpUsername', FEDERATED),
  error('idpPassword', FEDERATED),
  error('idpEndpoint', FEDERATED),
  error('idpPort', FEDERATED),
  error('appId', FEDERATED),
  error('rpIdentifier', FEDERATED),
  error('dbUser', FEDERATED),
  error('httpsAgentOptions', FEDERATED),
  alias('secretId', 'secretId', 'plugin `secretsManager`: same name and meaning (docs/secrets-manager.md)'),
  alias('secretRegion', 'secretRegion', 'plugin `secretsManager`: same name and meaning'),
  alias('secretEndpoint', 'secretEndpoint', 'plugin `secretsManager`: same name and meaning'),
  alias('secretExpirationSec', 'secretExpirationMs', 'plugin `secretsManager`: same meaning (seconds)'),
  alias('secretUsernameProperty', 'secretUsernameProperty', 'plugin `secretsManager`: same name and meaning'),
  alias('secretPasswordProperty', 'secretPasswordProperty', 'plugin `secretsManager`: same name and meaning'),
  alias(
    'failoverClusterTopologyRefreshRateMs',
    'failoverClusterTopologyRefreshRateMs',
    'same name and meaning',
  ),
  alias('failoverTimeoutMs', 'failoverTimeoutMs', 'same name and meaning'),
  alias('failoverWriterReconnectIntervalMs', 'failoverWriterReconnectIntervalMs', 'same name and meaning'),
  alias('failoverReaderConnectTimeoutMs', 'failoverReaderConnectTimeoutMs', 'same name and meaning'),
  alias('enableClusterAwareFailover', 'enableFailover', '`false` turns failover off'),
  alias('failoverMode', 'failoverMode', 'same name and values'),
  alias('failoverReaderHostSelectorStrategy', 'failoverReaderHostSelectorStrategy', 'same name and values'),
  alias(
    'clusterTopologyRefreshRateMs',
    'topologyRefreshMs',
    'topology cache lifetime, and the failover2 monitor period, as in AWS Node',
  ),
  alias('clusterTopologyHighRefreshRateMs', 'clusterTopologyHighRefreshRateMs', 'same name and meaning'),
  alias('clusterId', 'clusterId', 'same name and meaning'),
  alias('clusterInstanceHostPattern', 'clusterInstanceHostPattern', 'same name and meaning'),
  covered(
    'singleWriterConnectionString',
    'give the hosts of a self-managed cluster, writer first, in the `hosts` option',
  ),
  warn('enableGreenHostReplacement', BLUE_GREEN),
  alias(
    'readerHostSelectorStrategy',
    'readerHostSelectorStrategy',
    "initialConnection's reader choice, and readWriteSplitting's reader of setReadOnly(true)",
  ),
  alias('openConnectionRetryTimeoutMs', 'openConnectionRetryTimeoutMs', 'same name and meaning'),
  alias('openConnectionRetryIntervalMs', 'openConnectionRetryIntervalMs', 'same name and meaning'),
  alias('failureDetectionTime', 'failureDetectionTimeMs', 'same meaning (ms)'),
  alias('failureDetectionEnabled', 'failureDetectionEnabled', 'same name and meaning'),
  alias('failureDetectionInterval', 'failureDetectionIntervalMs', 'same meaning (ms)'),
  alias('failureDetectionCount', 'failureDetectionCount', 'same name and meaning'),
  covered('monitorDisposalTime', 'a host monitor stops with its last user'),
  alias('roundRobinHostWeightPairs', 'roundRobinHostWeightPairs', 'same name and format'),
  alias('roundRobinDefaultWeight', 'roundRobinDefaultWeight', 'same name and meaning'),
  warn('enableTelemetry', TELEMETRY),
  warn('telemetrySubmitToplevel', TELEMETRY),
  warn('telemetryTracesBackend', TELEMETRY),
  warn('telemetryMetricsBackend', TELEMETRY),
  warn('telemetryFailoverAdditionalTopTrace', TELEMETRY),
  warn('limitlessWaitForTransactionRouterInfo', LIMITLESS),
  warn('limitlessGetTransactionRouterInfoRetryIntervalMs', LIMITLESS),
  warn('limitlessGetTransactionRouterInfoMaxRetries', LIMITLESS),
  warn('limitlessTransactionRouterMonitorIntervalMs', LIMITLESS),
  warn('limitlessConnectMaxRetries', LIMITLESS),
  warn('limitlessTransactionRouterMonitorDisposalTimeMs', LIMITLESS),
  {
    name: 'wrapperKeepAliveProperties',
    disposition: 'mapped',
    ours: 'driver: keepAlive, keepAliveInitialDelayMillis (pg) / enableKeepAlive, keepAliveInitialDelay (mysql2)',
    translate: keepAlive,
    note: "AWS copies keepAlive / keepAliveInitialDelayMillis into pg's config; mysql2 gets its own names",
  },
  warn('customDatabaseDialect', 'the dialect is detected; a custom dialect object is not supported'),
  error(
    'customAwsCredentialProviderHandler',
    "AWS's process-wide credentials handler is not supported: pass the credentials (or an AWS SDK provider) in `awsCredentialsProvider`",
  ),
  alias(
    'awsProfile',
    'awsProfile',
    'plugins `iam` / `secretsManager`: the profile of the default credential chain',
  ),
  error(
    'profileName',
    'configuration profiles (presets) are not supported yet: they choose plugins and timeouts; write the options out instead',
  ),
  warn('customEndpointInfoRefreshRateMs', CUSTOM_ENDPOINT),
  warn('waitForCustomEndpointInfo', CUSTOM_ENDPOINT),
  warn('waitForCustomEndpointInfoTimeoutMs', CUSTOM_ENDPOINT),
  warn('customEndpointMonitorExpirationMs', CUSTOM_ENDPOINT),
  warn('customEndpointRegion', CUSTOM_ENDPOINT),
  warn('bgConnectTimeoutMs', BLUE_GREEN),
  warn('bgdId', BLUE_GREEN),
  warn('bgBaselineMs', BLUE_GREEN),
  warn('bgIncreasedMs', BLUE_GREEN),
  warn('bgHighMs', BLUE_GREEN),
  warn('bgSwitchoverTimeoutMs', BLUE_GREEN),
  warn('bgSuspendNewBlueConnections', BLUE_GREEN),
  warnPrefix(
    'monitoring_',
    "driver settings of the host monitoring connections; ours use the main connection's settings, bounded by failureDetectionIntervalMs",
  ),
  warnPrefix(
    'topology_monitoring_',
    "driver settings of failover2's topology monitor connection; ours uses the main connection's settings",
  ),
  warnPrefix('blue_green_monitoring_', BLUE_GREEN),
  warnPrefix(
    'frt_',
    "driver settings of the fastest-response monitor connections; ours use the main connection's settings",
  ),
  warnPrefix('limitless_router_monitor_', LIMITLESS),
];

const BY_NAME: ReadonlyMap<string, AwsPropertyRow> = new Map(
  AWS_PROPERTIES.filter((r) => r.prefix !== true).map((r) => [r.name, r] as const),
);
const PREFIXES: readonly AwsPropertyRow[] = AWS_PROPERTIES.filter((r) => r.prefix === true);

/** The row of an AWS key (exact name first, then prefix), or undefined. */
export function awsPropertyOf(key: string): AwsPropertyRow | undefined {
  return BY_NAME.get(key) ?? PREFIXES.find((r) => key.startsWith(r.name) && key.length > r.name.length);
}

/** Code of the process warning for an AWS key or plugin code that is ignored. */
export const AWS_IGNORED_WARNING = 'AURORA_HA_AWS_OPTION_IGNORED';

const warned = new Set<string>();

/** One process warning per key and process; `what` names the key (never its value). */
export function warnIgnoredOnce(what: string, why: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  process.emitWarning(`aurora-ha: ${what} (AWS Node wrapper) is ignored: ${why}.`, {
    code: AWS_IGNORED_WARNING,
  });
}

/** Receives what is ignored (`what` names the key, `why` says why); warned about by the caller. */
export type OnIgnored = (what: string, why: string) => void;

/**
 * Handles an AWS key the options table does not know. Returns the driver keys to add (translated
 * rows), an empty object when the key is dropped, or undefined when the key goes to the driver as
 * it is (the driver's own keys). Throws a ConfigurationError for an `error` row. Ignored keys go
 * to `onIgnored`, so that a configuration rejected later warns about nothing.
 */
export function applyAwsProperty(
  engine: EngineName,
  row: AwsPropertyRow,
  key: string,
  value: unknown,
  onIgnored: OnIgnored = warnIgnoredOnce,
): Record<string, unknown> | undefined {
  switch (row.disposition) {
    case 'error':
      throw new ConfigurationError(
        key,
        `Option \`${key}\` (AWS Node wrapper) is not supported yet: ${row.note}. Remove it; docs/migrating-from-aws-wrapper.md lists what is supported.`,
      );
    case 'warn':
      onIgnored(`option \`${key}\``, row.note);
      return {};
    case 'covered':
      return {};
    case 'mapped': {
      if (row.translate === undefined) return undefined;
      const out = row.translate(engine, value, key);
      if (out === undefined) {
        onIgnored(`option \`${key}\` with ${engine === 'mysql' ? 'mysql2' : 'pg'}`, row.note);
        return {};
      }
      return out;
    }
  }
}
