/**
 * The one table of aurora-ha's own options: canonical name, seed aliases (with the seconds → ms
 * conversion of the `*_sec` seed names), kind, default, accepted values and a one-line meaning.
 * Validation (parse-config.ts) and docs/configuration.md (options-doc.ts) are both made from it.
 */

import { HOST_PATTERN_FORM } from '../topology/host-pattern.js';
import { PLUGIN_CODES } from '../plugins/registry.js';
import type { HostSelectorStrategy, ResolvedOptions } from '../core/wrapper-options.js';

export type OptionKind =
  | 'plugins'
  | 'failoverMode'
  | 'hostPattern'
  | 'boolean'
  | 'durationMs'
  | 'positiveInt'
  | 'strategy'
  | 'hostList'
  | 'string'
  | 'hostWeights'
  | 'logger'
  | 'port'
  | 'awsCredentials';

export interface OptionAlias {
  name: string;
  /** Multiply the alias's value by this to get the canonical value (`*_sec` → ms: 1000). */
  scale?: number;
}

export interface OptionSpec {
  /** The field of ResolvedOptions; also the canonical name unless `canonical` says otherwise. */
  name: keyof ResolvedOptions;
  /**
   * The name users read in the docs and errors when it differs from the field (AWS Node's
   * name won: `readerHostSelectorStrategy`); the field's name stays accepted as an alias.
   */
  canonical?: string;
  aliases: readonly OptionAlias[];
  kind: OptionKind;
  default: ResolvedOptions[keyof ResolvedOptions];
  /** The default as shown in the docs (some defaults depend on the host). */
  defaultText: string;
  /** Accepted values or range, as shown in errors and docs. */
  accepted: readonly string[];
  description: string;
}

/** Longest duration a Node timer can hold (2^31 - 1 ms); larger values overflow to 1 ms. */
export const MAX_DURATION_MS = 2_147_483_647;

export const STRATEGIES: readonly HostSelectorStrategy[] = [
  'random',
  'roundRobin',
  'leastConnections',
  'highestWeight',
  'weightedRandom',
  'fastestResponse',
];

export const FAILOVER_MODES = ['strict-writer', 'reader-or-writer', 'strict-reader'] as const;

/** The name shown in docs and errors (AWS Node's name where it differs from the field). */
export function canonicalName(spec: OptionSpec): string {
  return spec.canonical ?? spec.name;
}

/** `spec` with more accepted spellings (AWS Node's names, see aws-wrapper-properties.ts). */
function withAliases(spec: OptionSpec, ...names: string[]): OptionSpec {
  return { ...spec, aliases: [...spec.aliases, ...names.map((name) => ({ name }))] };
}

const DURATION = [`integer 1..${MAX_DURATION_MS} (ms)`];
const BOOLEAN = ['true', 'false'];

function ms(name: keyof ResolvedOptions, seedName: string, def: number, description: string): OptionSpec {
  const seconds = seedName.endsWith('_sec');
  return {
    name,
    aliases: [seconds ? { name: seedName, scale: 1000 } : { name: seedName }],
    kind: 'durationMs',
    default: def,
    defaultText: String(def),
    accepted: DURATION,
    description,
  };
}

function bool(name: keyof ResolvedOptions, seedName: string, def: boolean, description: string): OptionSpec {
  return {
    name,
    aliases: [{ name: seedName }],
    kind: 'boolean',
    default: def,
    defaultText: String(def),
    accepted: BOOLEAN,
    description,
  };
}

function strategy(name: keyof ResolvedOptions, seedName: string, description: string): OptionSpec {
  return {
    name,
    aliases: [{ name: seedName }],
    kind: 'strategy',
    default: 'random',
    defaultText: 'random',
    accepted: STRATEGIES,
    description,
  };
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'plugins',
    aliases: [{ name: 'wrapperPlugins' }, { name: 'wrapper_plugins' }],
    kind: 'plugins',
    default: Object.freeze(['initialConnection', 'failover2', 'hostMonitoring'] as const),
    defaultText: "`['initialConnection', 'failover2', 'hostMonitoring']`",
    accepted: [...PLUGIN_CODES.keys()],
    description:
      'Plugins to load, in order (list or comma-separated string); `[]` is a plain pass-through. `failover` and `failover2` exclude each other.',
  },
  {
    name: 'failoverMode',
    aliases: [{ name: 'failover_mode' }],
    kind: 'failoverMode',
    default: undefined,
    defaultText: '`reader-or-writer` for a reader cluster endpoint, else `strict-writer`',
    accepted: FAILOVER_MODES,
    description: 'Which role failover connects to; `strict_writer` style spellings are accepted.',
  },
  {
    name: 'clusterInstanceHostPattern',
    aliases: [{ name: 'cluster_instance_host_pattern' }],
    kind: 'hostPattern',
    default: undefined,
    defaultText: 'derived from an RDS host name',
    accepted: [HOST_PATTERN_FORM],
    description:
      'How to build an instance host from its id (`?` = instance id); required for IP addresses and custom domains.',
  },
  withAliases(
    bool('enableFailover', 'enable_failover', true, 'Turns the failover plugin on or off.'),
    'enableClusterAwareFailover',
  ),
  ms('failoverTimeoutMs', 'failover_timeout_sec', 300_000, 'Longest time one failover may take.'),
  ms(
    'failoverClusterTopologyRefreshRateMs',
    'failover_cluster_topology_refresh_rate_sec',
    2_000,
    'Topology refresh interval while looking for a new writer (failover v1).',
  ),
  ms(
    'failoverReaderConnectTimeoutMs',
    'failover_reader_connect_timeout_sec',
    30_000,
    'Longest time to connect to one reader during reader failover.',
  ),
  ms(
    'failoverWriterReconnectIntervalMs',
    'failover_writer_reconnect_interval_sec',
    2_000,
    'Pause between attempts to reconnect to the failed writer (failover v1).',
  ),
  {
    name: 'failoverReconnectConcurrency',
    aliases: [],
    kind: 'positiveInt',
    default: 50,
    defaultText: '50',
    accepted: ['integer 1..1000000'],
    description:
      "failover2: most of this process's connections logging in to the new writer at once; the others wait their turn in arrival order, so no login outwaits its connect timeout in the writer's queue.",
  },
  withAliases(
    bool(
      'keepSessionStateOnFailover',
      'keep_session_state_on_failover',
      false,
      'Restore the session state the server reported (PG: TimeZone, DateStyle, IntervalStyle, application_name, read-only; MySQL: autocommit, database, tracked variables) on the new connection after a failover; with readWriteSplitting, carry it (read-only aside) to the side `setReadOnly` switches to (docs/read-scaling.md).',
    ),
    'transferSessionStateOnSwitch',
  ),
  bool(
    'retryReadsOnFailover',
    'retry_reads_on_failover',
    true,
    'On a reader connection, a statement outside a transaction whose reader failed is sent again on the replacement reader (when nothing of its result reached the caller and the session holds no state of its own); the caller gets its result instead of FailoverSuccessError. Never on writer connections. docs/read-scaling.md.',
  ),
  // `clusterTopologyRefreshRateMs` is AWS Node's name (AWS Node's names win): there it is the
  // topology cache lifetime and failover2's monitor period, which is what this option is. (The
  // .NET wrapper means the failover refresh rate by it: `failoverClusterTopologyRefreshRateMs`.)
  withAliases(
    ms('topologyRefreshMs', 'topology_refresh_ms', 30_000, 'Topology cache lifetime in normal operation.'),
    'clusterTopologyRefreshRateMs',
  ),
  ms(
    'clusterTopologyHighRefreshRateMs',
    'cluster_topology_high_refresh_rate_ms',
    100,
    'Topology refresh interval of the monitor right after a failover (failover2).',
  ),
  {
    name: 'maxReplicaLagMs',
    aliases: [],
    kind: 'durationMs',
    default: undefined,
    defaultText: 'off',
    accepted: DURATION,
    description:
      "New reader connections (reader cluster endpoint, reader failover) skip readers whose lag in the topology exceeds this; when every reader does, they go as if the cluster had no reader (the writer; in `strict-reader` failover, with no other reader available, the lagging readers after all). Lag is as fresh as the topology: failover2's monitor refreshes it every `topologyRefreshMs`, failover v1 caches it for `topologyRefreshMs`. Unknown lag is never skipped.",
  },
  strategy(
    'failoverReaderHostSelectorStrategy',
    'failover_reader_host_selector_strategy',
    'How failover picks a reader.',
  ),
  bool(
    'enableConnectFailover',
    'enable_connect_failover',
    false,
    'Also fail over when the initial connection attempt fails.',
  ),
  {
    // AWS Node's name is canonical; our earlier name stays accepted (it is the field's name).
    ...strategy(
      'readerInitialConnectionHostSelectorStrategy',
      'reader_initial_connection_host_selector_strategy',
      'How initialConnection picks a reader for a reader cluster endpoint, and readWriteSplitting the reader of `setReadOnly(true)`.',
    ),
    canonical: 'readerHostSelectorStrategy',
  },
  ms(
    'openConnectionRetryTimeoutMs',
    'open_connection_retry_timeout_ms',
    30_000,
    'Longest time initialConnection retries opening a connection.',
  ),
  ms(
    'openConnectionRetryIntervalMs',
    'open_connection_retry_interval_ms',
    1_000,
    'Pause between initialConnection attempts.',
  ),
  {
    name: 'hosts',
    aliases: [],
    kind: 'hostList',
    default: undefined,
    defaultText: 'the driver host',
    accepted: ['host[:port] list, IPv6 as [addr]:port'],
    description: 'Hosts of a self-managed primary/standby cluster (first is the initial host).',
  },
  {
    name: 'clusterId',
    aliases: [{ name: 'cluster_id' }],
    kind: 'string',
    default: undefined,
    defaultText: 'derived from the hosts',
    accepted: ['non-empty string'],
    description: 'Key under which connections share topology and monitors.',
  },
  {
    name: 'roundRobinHostWeightPairs',
    aliases: [{ name: 'round_robin_host_weight_pairs' }, { name: 'roundRobinHostWeights' }],
    kind: 'hostWeights',
    default: Object.freeze({}),
    defaultText: '{}',
    accepted: [
      '{ instance: weight } or "instance:weight,instance:weight" (instance name, host or host:port), weights integer 1..1000000',
    ],
    description: 'Consecutive turns per instance for the `roundRobin` selector.',
  },
  {
    name: 'roundRobinDefaultWeight',
    aliases: [{ name: 'round_robin_default_weight' }],
    kind: 'positiveInt',
    default: 1,
    defaultText: '1',
    accepted: ['integer 1..1000000'],
    description: 'Turns for instances not listed in `roundRobinHostWeightPairs`.',
  },
  {
    name: 'weightedRandomHostWeightPairs',
    aliases: [{ name: 'weighted_random_host_weight_pairs' }, { name: 'weightedRandomHostWeights' }],
    kind: 'hostWeights',
    default: Object.freeze({}),
    defaultText: '`{}` (every instance weight 1)',
    accepted: [
      '{ instance: weight } or "instance:weight,instance:weight" (instance name, host or host:port), weights integer 1..1000000',
    ],
    description: 'Relative chances per instance for the `weightedRandom` selector.',
  },
  {
    name: 'failureDetectionEnabled',
    aliases: [],
    kind: 'boolean',
    default: true,
    defaultText: 'true',
    accepted: BOOLEAN,
    description: 'Turns the hostMonitoring plugin on or off.',
  },
  {
    name: 'failureDetectionTimeMs',
    aliases: [{ name: 'failureDetectionTime' }],
    kind: 'durationMs',
    default: 30_000,
    defaultText: '30000',
    accepted: DURATION,
    description: 'hostMonitoring: how long a call may run before its host is probed.',
  },
  {
    name: 'failureDetectionIntervalMs',
    aliases: [{ name: 'failureDetectionInterval' }],
    kind: 'durationMs',
    default: 5_000,
    defaultText: '5000',
    accepted: DURATION,
    description: 'hostMonitoring: time between probes, and the bound on each probe.',
  },
  {
    name: 'failureDetectionCount',
    aliases: [],
    kind: 'positiveInt',
    default: 3,
    defaultText: '3',
    accepted: ['integer 1..1000000'],
    description: 'hostMonitoring: failed probes in a row after which the host is declared unavailable.',
  },
  ms(
    'responseMeasurementIntervalMs',
    'response_measurement_interval_ms',
    30_000,
    'How often the `fastestResponse` selector measures connect + `SELECT 1` time per instance.',
  ),
  {
    name: 'logger',
    aliases: [],
    kind: 'logger',
    default: undefined,
    defaultText: 'none (nothing logged; `NODE_DEBUG=aurora-ha` prints debug lines)',
    accepted: [
      'an object with debug, info, warn and error methods (console, pino, winston); not in a connection string',
    ],
    description:
      'Where aurora-ha logs: one info line per failover, topology and monitor changes, connects at debug (docs/observability.md).',
  },
  // Plugins `iam` and `secretsManager` (docs/iam.md, docs/secrets-manager.md): AWS Node's names
  // (canonical where they carry no unit) and JDBC's `secretsManager*` spellings as aliases.
  {
    name: 'iamRegion',
    aliases: [],
    kind: 'string',
    default: undefined,
    defaultText: 'parsed from an RDS host name',
    accepted: ['an AWS region, e.g. us-east-1'],
    description: 'iam: the region the token is signed for.',
  },
  {
    name: 'iamHost',
    aliases: [],
    kind: 'string',
    default: undefined,
    defaultText: 'the host connected to',
    accepted: ['a host name'],
    description:
      'iam: sign every token for this host name instead of the host actually connected to (only with one instance or a proxy).',
  },
  {
    name: 'iamDefaultPort',
    aliases: [],
    kind: 'port',
    default: undefined,
    defaultText: 'the port connected to',
    accepted: ['integer 1..65535'],
    description: 'iam: sign every token for this port instead of the port connected to.',
  },
  {
    ...ms(
      'iamTokenExpirationMs',
      'iamTokenExpiration_sec',
      870_000,
      'iam: how long a token is reused for new connections (capped at 840 s: tokens live 900 s).',
    ),
    aliases: [{ name: 'iamTokenExpiration', scale: 1000 }],
  },
  {
    name: 'secretId',
    aliases: [{ name: 'secretsManagerSecretId' }],
    kind: 'string',
    default: undefined,
    defaultText: 'none (required by secretsManager)',
    accepted: ['a secret name or ARN'],
    description: 'secretsManager: the secret holding the database user and password.',
  },
  {
    name: 'secretRegion',
    aliases: [{ name: 'secretsManagerRegion' }],
    kind: 'string',
    default: undefined,
    defaultText: "the ARN's region",
    accepted: ['an AWS region, e.g. us-east-1'],
    description: 'secretsManager: the region of the secret.',
  },
  {
    name: 'secretEndpoint',
    aliases: [{ name: 'secretsManagerEndpoint' }],
    kind: 'string',
    default: undefined,
    defaultText: "the region's public endpoint",
    accepted: ['an http(s) URL'],
    description: 'secretsManager: Secrets Manager endpoint (a VPC endpoint, or the emulator).',
  },
  {
    ...ms(
      'secretExpirationMs',
      'secretExpirationSec',
      870_000,
      'secretsManager: how long a secret read is reused; a refused login re-reads it earlier.',
    ),
    aliases: [
      { name: 'secretExpirationSec', scale: 1000 },
      { name: 'secretsManagerExpirationSec', scale: 1000 },
    ],
  },
  {
    name: 'secretUsernameProperty',
    aliases: [{ name: 'secretsManagerSecretUsernameProperty' }],
    kind: 'string',
    default: 'username',
    defaultText: 'username',
    accepted: ['a JSON key of the secret'],
    description: "secretsManager: the secret's key holding the user.",
  },
  {
    name: 'secretPasswordProperty',
    aliases: [{ name: 'secretsManagerSecretPasswordProperty' }],
    kind: 'string',
    default: 'password',
    defaultText: 'password',
    accepted: ['a JSON key of the secret'],
    description: "secretsManager: the secret's key holding the password.",
  },
  {
    name: 'awsCredentialsProvider',
    aliases: [],
    kind: 'awsCredentials',
    default: undefined,
    defaultText: "the AWS SDK's default provider chain",
    accepted: [
      '{ accessKeyId, secretAccessKey, sessionToken? } or an AWS SDK v3 credentials provider function; not in a connection string',
    ],
    description: 'iam / secretsManager: the AWS credentials that sign tokens and read secrets.',
  },
  {
    name: 'awsProfile',
    aliases: [],
    kind: 'string',
    default: undefined,
    defaultText: 'AWS_PROFILE, else default',
    accepted: ['a profile name of the shared AWS config files'],
    description: "iam / secretsManager: the profile the SDK's default chain reads.",
  },
];

/** Every accepted spelling (canonical, field name and alias) → its spec and scale. */
export const OPTION_BY_SPELLING: ReadonlyMap<string, { spec: OptionSpec; scale: number }> = new Map(
  OPTIONS.flatMap((spec) => [
    [spec.name as string, { spec, scale: 1 }] as const,
    ...(spec.canonical !== undefined ? [[spec.canonical, { spec, scale: 1 }] as const] : []),
    ...spec.aliases.map((a) => [a.name, { spec, scale: a.scale ?? 1 }] as const),
  ]),
);

/** Spelling → canonical name, for "did you mean". */
export const CANONICAL_BY_SPELLING: ReadonlyMap<string, string> = new Map(
  [...OPTION_BY_SPELLING].map(([spelling, { spec }]) => [spelling, canonicalName(spec)]),
);
