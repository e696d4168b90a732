/**
 * resolveConfig: the user's driver config (object or connection string) → validated wrapper
 * options, the initial host(s), and the driver's own config with every wrapper key removed
 * (from the object and from the connection string's query; everything else untouched).
 * Errors are ConfigurationErrors naming the canonical option; secrets never appear in them.
 */

import { ConfigurationError } from '../core/errors.js';
import { redactSecrets, secretsOf } from '../core/redact.js';
import { didYouMean } from '../core/did-you-mean.js';
import { DRIVER_KEYS } from './driver-keys.js';
import { isValidPort, type HostAddress } from './host-address.js';
import { parseOptionValue } from './option-values.js';
import {
  CANONICAL_BY_SPELLING,
  OPTION_BY_SPELLING,
  OPTIONS,
  canonicalName,
  type OptionSpec,
} from './options-table.js';
import {
  applyAwsProperty,
  awsPropertyOf,
  warnIgnoredOnce,
  type OnIgnored,
} from './aws-wrapper-properties.js';
import type { ResolvedConfig, ResolvedOptions } from '../core/wrapper-options.js';

export type Engine = 'postgres' | 'mysql';

export const DEFAULT_PORT: Readonly<Record<Engine, number>> = { postgres: 5432, mysql: 3306 };

/** Where each driver keeps its connection string in a config object. */
export const URL_KEY: Readonly<Record<Engine, string>> = { postgres: 'connectionString', mysql: 'uri' };

interface Found {
  spec: OptionSpec;
  key: string;
  scale: number;
  value: unknown;
  fromUrl: boolean;
}

function nearMiss(key: string, where: string): void {
  if (DRIVER_KEYS.has(key)) return;
  const suggestion = didYouMean(key, CANONICAL_BY_SPELLING);
  if (suggestion === undefined) return;
  throw new ConfigurationError(
    suggestion,
    `Unknown option \`${key}\`${where}: did you mean \`${suggestion}\`?`,
    [suggestion],
  );
}

function record(found: Map<string, Found>, f: Found): void {
  const earlier = found.get(f.spec.name);
  if (earlier !== undefined && earlier.fromUrl === f.fromUrl) {
    const name = canonicalName(f.spec);
    throw new ConfigurationError(
      name,
      `Option \`${name}\` is given twice (as \`${earlier.key}\` and \`${f.key}\`); give it once.`,
      f.spec.accepted,
    );
  }
  // The connection string wins over the object, as in pg and mysql2.
  if (earlier === undefined || f.fromUrl) found.set(f.spec.name, f);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A key of AWS's Node wrapper that the options table does not know (aws-wrapper-properties.ts):
 * true when it was consumed (dropped, or translated into `driverExtra`), false when it goes to
 * the driver as it is. Throws for a key whose disposition is `error`.
 */
function consumeAwsKey(
  engine: Engine,
  key: string,
  value: unknown,
  driverExtra: Record<string, unknown>,
  onIgnored: OnIgnored,
): boolean {
  const row = awsPropertyOf(key);
  if (row === undefined) return false;
  const extra = applyAwsProperty(engine, row, key, value, onIgnored);
  if (extra === undefined) return false;
  Object.assign(driverExtra, extra);
  return true;
}

/** Takes wrapper parameters out of the query of `url`, leaving every other byte as it was. */
function extractFromUrl(
  engine: Engine,
  url: string,
  found: Map<string, Found>,
  driverExtra: Record<string, unknown>,
  onIgnored: OnIgnored,
): string {
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const hash = hashAt < 0 ? '' : url.slice(hashAt);
  const q = beforeHash.indexOf('?');
  if (q < 0) return url;
  const base = beforeHash.slice(0, q);
  const kept: string[] = [];
  for (const param of beforeHash.slice(q + 1).split('&')) {
    if (param.length === 0) continue;
    const eq = param.indexOf('=');
    const key = decode(eq < 0 ? param : param.slice(0, eq));
    const value = eq < 0 ? '' : decode(param.slice(eq + 1));
    const hit = OPTION_BY_SPELLING.get(key);
    if (hit === undefined) {
      if (consumeAwsKey(engine, key, value, driverExtra, onIgnored)) continue;
      nearMiss(key, ' in the connection string');
      kept.push(param);
    } else {
      record(found, { spec: hit.spec, key, scale: hit.scale, value, fromUrl: true });
    }
  }
  return (kept.length > 0 ? `${base}?${kept.join('&')}` : base) + hash;
}

/** Host and port from a connection string (`scheme://user:pass@host:port/db`), when present. */
function hostOfUrl(url: string): { host?: string; port?: string } {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?/i.exec(url);
  if (!m) return {};
  // pg's `postgres:///db?host=/var/run/postgresql` form: the host (often a socket dir) is a parameter.
  const hostParam = /[?&]host=([^&#]*)/.exec(url)?.[1];
  const named = m[1] === undefined || m[1] === '' ? hostParam : m[1];
  const host = named === undefined || named === '' ? undefined : decode(named);
  return {
    ...(host !== undefined ? { host: host.startsWith('[') ? host.slice(1, -1) : host } : {}),
    ...(m[2] !== undefined && m[2] !== '' ? { port: m[2] } : {}),
  };
}

function portOf(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!isValidPort(n)) {
    throw new ConfigurationError(
      'port',
      `Invalid port ${JSON.stringify(value)}: expected an integer 1..65535.`,
      ['1..65535'],
    );
  }
  return n;
}

function initialHostsOf(
  driverConfig: Record<string, unknown>,
  urlHost: { host?: string },
  hosts: readonly HostAddress[] | undefined,
  port: number,
): HostAddress[] {
  if (hosts !== undefined) return [...hosts];
  const objHost = driverConfig.host;
  // A single host (name, IPv4, IPv6, socket path) is used as written, without brackets.
  let host = urlHost.host ?? (typeof objHost === 'string' && objHost.length > 0 ? objHost : 'localhost');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [{ host, port }];
}

/**
 * Resolved options are read-only, and an application opens many connections with the same
 * ones: connections with equal options share one frozen object instead of each holding a
 * ~0.8 KB copy (an object with this many keys added at run time is a hash table in V8).
 * Bounded, so varied configs cannot make it grow without limit.
 */
const INTERNED_OPTIONS = new Map<string, ResolvedOptions>();
const INTERNED_OPTIONS_LIMIT = 64;

function internOptions(values: Record<string, unknown>): ResolvedOptions {
  // A logger is compared by identity, not by its JSON (two loggers may serialise alike, and a
  // logger may not serialise at all): options with one are not shared.
  if (values.logger !== undefined || values.awsCredentialsProvider !== undefined) {
    return Object.freeze(values) as unknown as ResolvedOptions;
  }
  const key = JSON.stringify(values);
  let shared = INTERNED_OPTIONS.get(key);
  if (shared === undefined) {
    shared = Object.freeze(values) as unknown as ResolvedOptions;
    if (INTERNED_OPTIONS.size >= INTERNED_OPTIONS_LIMIT) {
      const oldest = INTERNED_OPTIONS.keys().next().value;
      if (oldest !== undefined) INTERNED_OPTIONS.delete(oldest);
    }
    INTERNED_OPTIONS.set(key, shared);
  }
  return shared;
}

function resolve(engine: Engine, input: Record<string, unknown> | string): ResolvedConfig {
  const urlKey = URL_KEY[engine];
  let source: Record<string, unknown>;
  if (typeof input === 'string') source = { [urlKey]: input };
  else if (input !== null && typeof input === 'object' && !Array.isArray(input)) source = input;
  else {
    throw new ConfigurationError(
      'config',
      `Expected a config object or a connection string, got ${typeof input}.`,
    );
  }

  const found = new Map<string, Found>();
  const driverConfig: Record<string, unknown> = {};
  // Driver keys translated from AWS Node's keys (`wrapperConnectTimeout`): they win, as in AWS.
  const driverExtra: Record<string, unknown> = {};
  // AWS keys and plugin codes ignored with a warning: warned about once the config is accepted.
  const ignored: [what: string, why: string][] = [];
  const onIgnored: OnIgnored = (what, why) => ignored.push([what, why]);
  for (const [key, value] of Object.entries(source)) {
    const hit = OPTION_BY_SPELLING.get(key);
    if (hit === undefined) {
      if (value !== undefined && consumeAwsKey(engine, key, value, driverExtra, onIgnored)) continue;
      nearMiss(key, '');
      driverConfig[key] = value;
    } else if (value !== undefined) {
      record(found, { spec: hit.spec, key, scale: hit.scale, value, fromUrl: false });
    }
  }

  let urlHost: { host?: string; port?: string } = {};
  const url = driverConfig[urlKey];
  if (typeof url === 'string') {
    driverConfig[urlKey] = extractFromUrl(engine, url, found, driverExtra, onIgnored);
    urlHost = hostOfUrl(url);
  }
  Object.assign(driverConfig, driverExtra);

  const defaultPort = portOf(urlHost.port ?? driverConfig.port, DEFAULT_PORT[engine]);
  const values: Record<string, unknown> = {};
  for (const spec of OPTIONS) values[spec.name] = spec.default;
  for (const f of found.values()) {
    values[f.spec.name] = parseOptionValue(
      f.spec,
      { key: f.key, scale: f.scale, fromUrl: f.fromUrl, defaultPort, onIgnored },
      f.value,
    );
  }
  const options = internOptions(values);
  for (const [what, why] of ignored) warnIgnoredOnce(what, why);
  return {
    options,
    initialHosts: initialHostsOf(driverConfig, urlHost, options.hosts, defaultPort),
    driverConfig,
  };
}

/** Secrets to keep out of messages: password-like values of the object and of the URL userinfo. */
function secretsIn(engine: Engine, input: unknown): string[] {
  if (typeof input === 'string') return secretsOfUrl(input);
  if (input === null || typeof input !== 'object') return [];
  const obj = input as Record<string, unknown>;
  const url = obj[URL_KEY[engine]];
  return [...secretsOf(obj), ...(typeof url === 'string' ? secretsOfUrl(url) : [])];
}

function secretsOfUrl(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(url);
  const userinfo = m?.[1];
  if (userinfo === undefined) return [];
  const colon = userinfo.indexOf(':');
  if (colon < 0) return [];
  const raw = userinfo.slice(colon + 1);
  return [raw, decode(raw)];
}

/**
 * Validates the user's config once and splits it into wrapper options, initial hosts and the
 * driver's config. `failoverMode` and `clusterInstanceHostPattern` stay undefined when not given
 * (their host-dependent defaults: plugins/failover-core/failover-mode.ts and
 * topology/host-pattern.ts `effectiveHostPattern`).
 */
export function resolveConfig(engine: Engine, input: Record<string, unknown> | string): ResolvedConfig {
  try {
    return resolve(engine, input);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    const secrets = secretsIn(engine, input);
    if (secrets.length === 0) throw err;
    const redacted = new ConfigurationError(
      err.option,
      redactSecrets(err.message, secrets),
      err.accepted?.map((a) => redactSecrets(a, secrets)),
    );
    throw redacted;
  }
}
