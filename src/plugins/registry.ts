/**
 * The plugin registry: the one list of plugins this version ships. Each plugin declares its
 * identity (canonical code, aliases, weight) once, in its own factory file; this list names
 * the factories, and everything else (option validation, `KNOWN_PLUGINS`, the docs) derives
 * from it. Adding a plugin is a new folder under plugins/ and one line here.
 * Turns the configured `plugins` list into plugin instances in a deterministic order
 * (by weight, lower = outer). Weights are documented in docs/plugins.md.
 */
import { ConfigurationError } from '../core/errors.js';
import type { PluginFactory } from '../connection/plugin.js';
import { failoverPluginFactory } from './failover/failover-plugin-factory.js';
import { failover2PluginFactory } from './failover2/failover2-plugin-factory.js';
import { hostMonitoringPluginFactory } from './host-monitoring/host-monitoring-plugin-factory.js';
import { initialConnectionPluginFactory } from './initial-connection/initial-connection-plugin-factory.js';
import { iamPluginFactory } from './iam/iam-plugin-factory.js';
import { secretsManagerPluginFactory } from './secrets-manager/secrets-manager-plugin-factory.js';
import { readWriteSplittingPluginFactory } from './read-write-splitting/read-write-splitting-plugin-factory.js';

/** A plugin code known to aurora-ha. */
export interface KnownPlugin {
  readonly code: string;
  readonly aliases: readonly string[];
  readonly weight: number;
}

/** The factories this version ships, in documentation order. */
export const AVAILABLE_FACTORIES: readonly PluginFactory[] = [
  initialConnectionPluginFactory,
  failoverPluginFactory,
  failover2PluginFactory,
  hostMonitoringPluginFactory,
  iamPluginFactory,
  secretsManagerPluginFactory,
  readWriteSplittingPluginFactory,
];

/** Every code users may write in `plugins`, with its place in the pipelines. */
export const KNOWN_PLUGINS: readonly KnownPlugin[] = AVAILABLE_FACTORIES.map(({ code, aliases, weight }) => ({
  code,
  aliases,
  weight,
}));

/**
 * What aurora-ha does with a plugin code of AWS's Node wrapper (aws/aws-advanced-nodejs-wrapper,
 * `ConnectionPluginChainBuilder.PLUGIN_FACTORIES`):
 * - `mapped`: loads our plugin `ours` (the code is one of its spellings in its factory);
 * - `covered`: another mechanism of ours does the job; accepted, loads nothing;
 * - `warn`: harmless, we have no equivalent; one process warning, loads nothing;
 * - `error`: ignoring it would change safety or security: a ConfigurationError.
 */
export type AwsPluginDisposition = 'mapped' | 'covered' | 'warn' | 'error';

export interface AwsPluginCode {
  readonly code: string;
  readonly disposition: AwsPluginDisposition;
  /** `mapped`: our canonical code it loads. */
  readonly ours?: string;
  /** Why, for the docs and the messages. */
  readonly note: string;
}

/** Every plugin code of AWS's Node wrapper, in AWS's weight order. */
export const AWS_PLUGIN_CODES: readonly AwsPluginCode[] = [
  {
    code: 'customEndpoint',
    disposition: 'error',
    note: 'restricting connections and failover to the instances of a custom endpoint is not implemented; ignoring it could move connections outside the endpoint',
  },
  {
    code: 'initialConnection',
    disposition: 'mapped',
    ours: 'initialConnection',
    note: 'the initial connection strategy',
  },
  {
    code: 'auroraConnectionTracker',
    disposition: 'covered',
    note: 'a connection left on a demoted writer is moved by failover / failover2 itself: a lost connection fails over (idle ones at their next call), and a read-only error confirmed by the role check fails over in strict-writer mode',
  },
  {
    code: 'staleDns',
    disposition: 'mapped',
    ours: 'initialConnection',
    note: 'initialConnection verifies the role of a new connection through a writer cluster endpoint and follows the topology instead of stale DNS',
  },
  {
    code: 'bg',
    disposition: 'error',
    note: 'Blue/Green switchover handling is not implemented',
  },
  {
    code: 'readWriteSplitting',
    disposition: 'mapped',
    ours: 'readWriteSplitting',
    note: '`setReadOnly(true | false)` switches between a kept writer and a kept reader connection (docs/read-scaling.md)',
  },
  { code: 'failover', disposition: 'mapped', ours: 'failover', note: 'failover v1' },
  { code: 'failover2', disposition: 'mapped', ours: 'failover2', note: 'failover v2' },
  { code: 'efm', disposition: 'mapped', ours: 'hostMonitoring', note: 'host monitoring' },
  { code: 'efm2', disposition: 'mapped', ours: 'hostMonitoring', note: 'host monitoring' },
  {
    code: 'fastestResponseStrategy',
    disposition: 'covered',
    note: 'the `fastestResponse` reader selection strategy needs no plugin: set it in a host selector strategy option',
  },
  {
    code: 'limitless',
    disposition: 'error',
    note: 'Aurora Limitless transaction router load balancing is not implemented',
  },
  { code: 'iam', disposition: 'mapped', ours: 'iam', note: 'IAM database authentication (docs/iam.md)' },
  {
    code: 'secretsManager',
    disposition: 'mapped',
    ours: 'secretsManager',
    note: 'credentials from AWS Secrets Manager (docs/secrets-manager.md)',
  },
  {
    code: 'federatedAuth',
    disposition: 'error',
    note: 'federated (ADFS) authentication is not implemented',
  },
  { code: 'okta', disposition: 'error', note: 'Okta authentication is not implemented' },
  {
    code: 'dev',
    disposition: 'warn',
    note: "AWS's developer plugin injects errors for tests; use the emulator's faults (aurora-ha/emulator) instead",
  },
  {
    code: 'connectTime',
    disposition: 'warn',
    note: 'connect time measurement is not implemented',
  },
  {
    code: 'executeTime',
    disposition: 'warn',
    note: 'execution time logging is not implemented',
  },
];

/** AWS plugin codes that load nothing (covered, warn, error), by code. */
export const AWS_UNLOADED_PLUGIN_CODES: ReadonlyMap<string, AwsPluginCode> = new Map(
  AWS_PLUGIN_CODES.filter((c) => c.disposition !== 'mapped').map((c) => [c.code, c] as const),
);

/** Plugin pairs that cannot be combined on one connection. */
export const EXCLUSIVE_PLUGINS: readonly (readonly [string, string])[] = [
  ['failover', 'failover2'],
  // One credential source per connection: both would set the password.
  ['iam', 'secretsManager'],
];

function canonicalCode(code: string, known: readonly KnownPlugin[]): KnownPlugin | undefined {
  return known.find((k) => k.code === code || k.aliases.includes(code));
}

/** Every accepted spelling (canonical codes and aliases) → canonical code. */
export const PLUGIN_CODES: ReadonlyMap<string, string> = new Map(
  KNOWN_PLUGINS.flatMap((k) => [[k.code, k.code] as const, ...k.aliases.map((a) => [a, k.code] as const)]),
);

/**
 * Resolve configured codes (canonical or alias) to factories, sorted by weight (stable:
 * equal weights keep the configured order). Duplicates are dropped. An unknown code or a
 * code this version does not ship → ConfigurationError naming it.
 */
export function resolvePluginFactories(
  codes: readonly string[],
  factories: readonly PluginFactory[] = AVAILABLE_FACTORIES,
): PluginFactory[] {
  const known: KnownPlugin[] = [...KNOWN_PLUGINS];
  for (const f of factories) if (!canonicalCode(f.code, known)) known.push(f);
  const chosen: PluginFactory[] = [];
  const seen = new Set<string>();
  for (const code of codes) {
    const entry = canonicalCode(code, known);
    if (entry === undefined) {
      throw new ConfigurationError(
        'plugins',
        `Unknown plugin code "${code}" in option plugins.`,
        known.map((k) => k.code),
      );
    }
    if (seen.has(entry.code)) continue;
    const factory = factories.find((f) => f.code === entry.code);
    if (factory === undefined) {
      throw new ConfigurationError(
        'plugins',
        `Plugin "${entry.code}" (option plugins) is not available in this version.`,
        factories.map((f) => f.code),
      );
    }
    seen.add(entry.code);
    chosen.push(factory);
  }
  for (const [a, b] of EXCLUSIVE_PLUGINS) {
    if (seen.has(a) && seen.has(b)) {
      throw new ConfigurationError(
        'plugins',
        `Plugins "${a}" and "${b}" cannot be used together (option plugins).`,
      );
    }
  }
  return chosen
    .map((f, i) => ({ f, i }))
    .sort((x, y) => x.f.weight - y.f.weight || x.i - y.i)
    .map((x) => x.f);
}
