/**
 * aurora-ha options bound to a driver module (`createDriver(options)` of `aurora-ha/pg` and
 * `aurora-ha/mysql2`): validated once when the module is made, then merged under every config
 * its constructors receive. For ORMs that filter the driver config they pass on (Sequelize's
 * `dialectOptions`), so aurora-ha's options cannot reach the driver through them.
 *
 * Only aurora-ha's own options can be bound: credentials and the other driver settings stay in
 * the config the ORM passes, so a bound module never holds a password. An option given in a
 * connection's own config (object or connection string) wins over the bound one.
 */
import { didYouMean } from '../core/did-you-mean.js';
import { CANONICAL_BY_SPELLING, OPTION_BY_SPELLING } from '../config/options-table.js';
import { URL_KEY, resolveConfig } from '../config/parse-config.js';
import type { Engine } from '../config/parse-config.js';
import type { WrapperOptions } from '../core/wrapper-options.js';
import { ConfigurationError } from '../core/errors.js';

/** Validated aurora-ha options, by the spelling the user gave. Frozen; holds no secret. */
export interface BoundOptions {
  readonly engine: Engine;
  readonly values: Readonly<Record<string, unknown>>;
}

function canonicalOf(key: string): string | undefined {
  return OPTION_BY_SPELLING.get(key)?.spec.name;
}

/**
 * Check `options` (aurora-ha options only, valid values) and freeze a copy. Errors are
 * ConfigurationErrors naming the option; a value is never quoted for a key that is not ours.
 */
export function bindOptions(engine: Engine, options: WrapperOptions | undefined): BoundOptions {
  if (options === undefined || options === null) return Object.freeze({ engine, values: Object.freeze({}) });
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError(
      'createDriver',
      `createDriver(options) takes an object of aurora-ha options, got ${Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (canonicalOf(key) === undefined) {
      const suggestion = didYouMean(key, CANONICAL_BY_SPELLING);
      throw new ConfigurationError(
        suggestion ?? key,
        suggestion !== undefined
          ? `Unknown option \`${key}\` given to createDriver: did you mean \`${suggestion}\`?`
          : `createDriver binds aurora-ha options only; \`${key}\` is not one. Driver settings ` +
              `(host, user, password, ...) belong in the connection config the ORM passes.`,
      );
    }
    if (value !== undefined) values[key] = value;
  }
  // Validates every value now, with the messages of a connection's config (canonical names).
  resolveConfig(engine, { ...values });
  return Object.freeze({ engine, values: Object.freeze(values) });
}

/** True when nothing is bound (the module is then the plain one). */
export function isEmpty(bound: BoundOptions): boolean {
  return Object.keys(bound.values).length === 0;
}

/**
 * A config for the driver: the bound options under `config`. A connection string becomes the
 * driver's URL key (`connectionString` / `uri`) next to them; an object is copied with every
 * own property's descriptor (a non-enumerable `password`, as pg-pool and Knex make it, stays
 * so); a bound option the config also gives (in any spelling) is left out, so the config wins.
 */
export function withBound(bound: BoundOptions, config: unknown): unknown {
  if (isEmpty(bound)) return config;
  if (typeof config === 'string') return { ...bound.values, [URL_KEY[bound.engine]]: config };
  if (config === undefined || config === null) return { ...bound.values };
  if (typeof config !== 'object' || Array.isArray(config)) return config;
  const given = new Set<string>();
  for (const key of Object.getOwnPropertyNames(config)) {
    const canonical = canonicalOf(key);
    if (canonical !== undefined && (config as Record<string, unknown>)[key] !== undefined)
      given.add(canonical);
  }
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bound.values)) {
    if (!given.has(canonicalOf(key) ?? key)) merged[key] = value;
  }
  for (const key of Object.getOwnPropertyNames(config)) {
    const d = Object.getOwnPropertyDescriptor(config, key);
    if (d !== undefined) Object.defineProperty(merged, key, { ...d, configurable: true });
  }
  return merged;
}
