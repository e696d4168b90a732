/**
 * The emulator's options, one row each: name, type, accepted range or values, default and
 * meaning. The single source of the validation (options.ts), of the CLI flags
 * (`aurora-ha emulator --dns-lag-ms …`) and of the option tables in docs/emulator.md.
 */
import { MAX_INSTANCES } from './addresses.js';
import { DEFAULT_MAX_CONNECTIONS } from './engine.js';

interface RowBase {
  readonly name: string;
  /** Meaning, one sentence or two (markdown). */
  readonly doc: string;
  /** Must be given. */
  readonly required?: boolean;
  /** The default as the doc shows it when it is not a plain value (e.g. "random"). */
  readonly defaultDoc?: string;
  /** The command-line flag (`--dns-lag-ms`); absent: not settable from the CLI. */
  readonly flag?: string;
}

export interface IntegerRow extends RowBase {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}

export interface BooleanRow extends RowBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

export interface EnumRow extends RowBase {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default?: string;
}

export interface StringRow extends RowBase {
  readonly type: 'string';
  /** Accepted form, and how the doc words it. */
  readonly pattern: RegExp;
  readonly patternDoc: string;
  readonly default?: string;
}

export type OptionRow = IntegerRow | BooleanRow | EnumRow | StringRow;

export interface OptionTable {
  /** The method taking these options, as messages and the doc name it. */
  readonly where: string;
  readonly rows: readonly OptionRow[];
}

/** An hour: longer lags and delays are typos (and a Node timer caps at 24.8 days). */
export const MAX_DELAY_MS = 3_600_000;
/** The control plane's own sessions need a few; MariaDB caps max_connections at 100,000. */
export const MIN_MAX_CONNECTIONS = 20;
export const MAX_MAX_CONNECTIONS = 100_000;

/** An RDS IAM token lives 15 minutes at most (X-Amz-Expires ≤ 900 s). */
export const MAX_IAM_TOKEN_TTL_MS = 900_000;

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const INSTANCE_ID = /^\S+$/;

export const START_OPTIONS: OptionTable = {
  where: 'startCluster',
  rows: [
    {
      name: 'engine',
      type: 'enum',
      values: ['postgres', 'mysql'],
      required: true,
      defaultDoc: '(required; CLI: `postgres`)',
      doc: '`postgres` (PostgreSQL) or `mysql` (MariaDB)',
      flag: 'engine',
    },
    {
      name: 'flavor',
      type: 'enum',
      values: ['aurora', 'multi-az', 'replica'],
      default: 'aurora',
      doc: '`aurora`, `multi-az` (RDS Multi-AZ DB cluster) or `replica` (PostgreSQL only: a self-managed primary with hot standbys and no cluster metadata, for the `postgres-replica-cluster` dialect; connect with the `hosts` option)',
      flag: 'flavor',
    },
    {
      name: 'instances',
      type: 'integer',
      min: 1,
      max: MAX_INSTANCES,
      default: 3,
      doc: '1 writer + n-1 readers',
      flag: 'instances',
    },
    {
      name: 'dnsLagMs',
      type: 'integer',
      min: 0,
      max: MAX_DELAY_MS,
      default: 0,
      doc: 'how long the cluster endpoints keep pointing at the old roles after a change',
      flag: 'dns-lag-ms',
    },
    {
      name: 'promotionDelayMs',
      type: 'integer',
      min: 0,
      max: MAX_DELAY_MS,
      default: 0,
      doc: 'time between losing the writer and promoting a reader in `failover()`',
      flag: 'promotion-delay-ms',
    },
    {
      name: 'maxConnections',
      type: 'integer',
      min: MIN_MAX_CONNECTIONS,
      max: MAX_MAX_CONNECTIONS,
      default: DEFAULT_MAX_CONNECTIONS,
      doc: 'client connections each instance accepts; see *Connection headroom*',
      flag: 'max-connections',
    },
    {
      name: 'region',
      type: 'string',
      pattern: DNS_LABEL,
      patternDoc: 'a DNS label',
      default: 'us-east-1',
      doc: 'used in the host names',
      flag: 'region',
    },
    {
      name: 'clusterId',
      type: 'string',
      pattern: DNS_LABEL,
      patternDoc: 'a DNS label',
      defaultDoc: 'random',
      doc: 'used in the host names (lower-cased)',
      flag: 'cluster-id',
    },
    {
      name: 'tls',
      type: 'boolean',
      default: false,
      doc: 'serve TLS only, with a throw-away CA (`cluster.tls.ca`); see docs/tls.md',
      flag: 'tls',
    },
    {
      name: 'secretsManager',
      type: 'boolean',
      default: false,
      doc: "emulated Secrets Manager on the cluster's AWS-API server (`cluster.aws`): a secret for a dedicated user (`cluster.secret`), rotated by `rotateSecret()`; see docs/emulator.md",
      flag: 'secrets-manager',
    },
    {
      name: 'verbose',
      type: 'boolean',
      default: false,
      doc: 'control-plane events and engine output on stderr',
      flag: 'verbose',
    },
    {
      name: 'iam',
      type: 'boolean',
      default: false,
      doc: 'IAM database authentication, enforced: `cluster.iamUser` logs in only with an RDS IAM token signed with `cluster.aws`; needs `tls`',
      flag: 'iam',
    },
    {
      name: 'iamTokenTtlMs',
      type: 'integer',
      min: 1,
      max: MAX_IAM_TOKEN_TTL_MS,
      default: MAX_IAM_TOKEN_TTL_MS,
      doc: 'with `iam`: the oldest token accepted (on top of its own `X-Amz-Expires`)',
      flag: 'iam-token-ttl-ms',
    },
    {
      name: 'iamLoginsPerSecond',
      type: 'integer',
      min: 1,
      max: 1_000_000,
      defaultDoc: 'no limit',
      doc: 'with `iam`: new IAM logins accepted per second per cluster, the rest refused like RDS throttling',
      flag: 'iam-logins-per-second',
    },
  ],
};

const TARGET: StringRow = {
  name: 'target',
  type: 'string',
  pattern: INSTANCE_ID,
  patternDoc: 'an instance id',
  defaultDoc: 'the reader with the most replication received',
  doc: 'the reader to promote',
};

export const FAILOVER_OPTIONS: OptionTable = {
  where: 'failover',
  rows: [
    TARGET,
    {
      name: 'silent',
      type: 'boolean',
      default: false,
      doc: 'the old writer goes silent instead of dying loudly: no reset, no FIN, new connections hang, until `heal(id)`',
    },
    {
      name: 'keepOldWriterDown',
      type: 'boolean',
      default: false,
      doc: 'the old writer is not rebuilt; it stays `down` and refuses connections until `reboot(id)`',
    },
  ],
};

export const SWITCHOVER_OPTIONS: OptionTable = { where: 'switchover', rows: [TARGET] };

export const PARTITION_OPTIONS: OptionTable = {
  where: 'partition',
  rows: [
    {
      name: 'mode',
      type: 'enum',
      values: ['blackhole', 'reset', 'refuse'],
      required: true,
      doc: '`blackhole` (accepted, nothing forwarded), `reset` (every connection reset) or `refuse` (listener closed, open connections reset); see *Faults*',
    },
  ],
};

/** Default window of `rotateSecret()`: between the new password going live and AWSCURRENT moving. */
export const DEFAULT_ROTATION_WINDOW_MS = 5_000;

export const ROTATE_SECRET_OPTIONS: OptionTable = {
  where: 'rotateSecret',
  rows: [
    {
      name: 'windowMs',
      type: 'integer',
      min: 0,
      max: MAX_DELAY_MS,
      default: DEFAULT_ROTATION_WINDOW_MS,
      doc: "time between the new password going live on every instance (the secret's AWSPENDING version) and AWSCURRENT moving to it",
    },
  ],
};

/** The `ms` argument of `latency(id, ms)`. */
export const LATENCY_MS: IntegerRow = {
  name: 'ms',
  type: 'integer',
  min: 0,
  max: MAX_DELAY_MS,
  doc: 'added each way',
};

/** Every table with an options object, in the doc's order. */
export const OPTION_TABLES: readonly OptionTable[] = [
  START_OPTIONS,
  FAILOVER_OPTIONS,
  SWITCHOVER_OPTIONS,
  PARTITION_OPTIONS,
  ROTATE_SECRET_OPTIONS,
];
