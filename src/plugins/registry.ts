/**
 * The plugin registry: every plugin code aurora-ha knows (canonical code, aliases, weight)
 * and, for the plugins built so far, their factories. Turns the configured `plugins` list
 * into plugin instances in a deterministic order (by weight, lower = outer).
 * Weights are documented in docs/plugins.md.
 */
import { ConfigurationError } from '../core/errors.js';
import type { Plugin, PluginFactory, PluginService } from '../connection/plugin.js';
import { failoverPluginFactory } from './failover/failover-plugin-factory.js';
import { failover2PluginFactory } from './failover2/failover2-plugin-factory.js';
import { hostMonitoringPluginFactory } from './host-monitoring/host-monitoring-plugin-factory.js';
import { initialConnectionPluginFactory } from './initial-connection/initial-connection-plugin-factory.js';

/** A plugin code known to aurora-ha, whether or not this version ships it. */
export interface KnownPlugin {
  readonly code: string;
  readonly aliases: readonly string[];
  readonly weight: number;
}

/** Every code users may write in `plugins`, with its place in the pipelines. */
export const KNOWN_PLUGINS: readonly KnownPlugin[] = [
  { code: 'initialConnection', aliases: ['initial_connection'], weight: 100 },
  { code: 'failover', aliases: [], weight: 200 },
  { code: 'failover2', aliases: ['failover_v2'], weight: 200 },
  { code: 'hostMonitoring', aliases: ['efm', 'efm2'], weight: 300 },
];

/**
 * The factories this version ships. Plugin helpers add theirs here
 * (e.g. `failoverPluginFactory` from ../plugins/failover/failover-plugin-factory.js).
 */
export const AVAILABLE_FACTORIES: readonly PluginFactory[] = [
  failoverPluginFactory,
  failover2PluginFactory,
  hostMonitoringPluginFactory,
  initialConnectionPluginFactory,
];

/** Plugin sets that cannot be combined on one connection. */
const EXCLUSIVE: readonly (readonly [string, string])[] = [['failover', 'failover2']];

function canonicalCode(code: string, known: readonly KnownPlugin[]): KnownPlugin | undefined {
  return known.find((k) => k.code === code || k.aliases.includes(code));
}

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
  for (const [a, b] of EXCLUSIVE) {
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

const NO_PLUGINS: readonly Plugin[] = Object.freeze([]);

/** Create the plugin instances of one logical connection, outer first. */
export function createPlugins(
  factories: readonly PluginFactory[],
  service: PluginService,
): readonly Plugin[] {
  return factories.length === 0 ? NO_PLUGINS : factories.map((f) => f.create(service));
}
