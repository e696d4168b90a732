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
];

/** Every code users may write in `plugins`, with its place in the pipelines. */
export const KNOWN_PLUGINS: readonly KnownPlugin[] = AVAILABLE_FACTORIES.map(({ code, aliases, weight }) => ({
  code,
  aliases,
  weight,
}));

/** Plugin pairs that cannot be combined on one connection. */
export const EXCLUSIVE_PLUGINS: readonly (readonly [string, string])[] = [['failover', 'failover2']];

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
