/**
 * Checks and converts one wrapper option value according to its kind in the options table.
 * Values from a config object must already have the right type; values from a connection
 * string arrive as text and are converted (booleans, numbers, `a,b` lists, `host:weight` pairs).
 */

import { ConfigurationError } from '../core/errors.js';
import { parseHostPattern } from '../topology/host-pattern.js';
import { AWS_UNLOADED_PLUGIN_CODES, EXCLUSIVE_PLUGINS, PLUGIN_CODES } from '../plugins/registry.js';
import { warnIgnoredOnce, type OnIgnored } from './aws-wrapper-properties.js';
import { parseHostAddress, type HostAddress } from './host-address.js';
import {
  FAILOVER_MODES,
  MAX_DURATION_MS,
  STRATEGIES,
  canonicalName,
  type OptionSpec,
} from './options-table.js';
import type { FailoverMode, HostSelectorStrategy, PluginCode } from '../core/wrapper-options.js';

export interface ValueSource {
  /** The key the user wrote (canonical or alias). */
  key: string;
  /** Alias scale (`*_sec` → 1000). */
  scale: number;
  fromUrl: boolean;
  defaultPort: number;
  /** Receives AWS plugin codes that are ignored with a warning (default: warn at once). */
  onIgnored?: OnIgnored;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a value of type ${typeof value}`;
}

export function invalid(spec: OptionSpec, src: ValueSource, value: unknown, why: string): ConfigurationError {
  const name = canonicalName(spec);
  const written = src.key === name ? `\`${name}\`` : `\`${name}\` (given as \`${src.key}\`)`;
  return new ConfigurationError(
    name,
    `Invalid value ${show(value)} for option ${written}: ${why}. Accepted: ${spec.accepted.join(', ')}.`,
    spec.accepted,
  );
}

/** Lower case, no `_`/`-`: lets `strict_writer`, `round_robin`, `RoundRobin` match. */
function loose(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

function list(spec: OptionSpec, src: ValueSource, value: unknown): string[] {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
    return value.map((s) => s.trim());
  }
  throw invalid(spec, src, value, 'expected a list of strings or a comma-separated string');
}

/**
 * An AWS Node plugin code that loads nothing: covered → skipped, warn → one process warning and
 * skipped, error → ConfigurationError naming the code. False when `code` is no such code.
 */
function awsUnloaded(spec: OptionSpec, src: ValueSource, code: string): boolean {
  const aws = AWS_UNLOADED_PLUGIN_CODES.get(code);
  if (aws === undefined) return false;
  if (aws.disposition === 'error') {
    throw new ConfigurationError(
      canonicalName(spec),
      `Plugin \`${code}\` (option plugins) is not supported yet: ${aws.note}. Remove it; docs/migrating-from-aws-wrapper.md lists what is supported.`,
      spec.accepted,
    );
  }
  if (aws.disposition === 'warn') (src.onIgnored ?? warnIgnoredOnce)(`plugin \`${code}\``, aws.note);
  return true;
}

function plugins(spec: OptionSpec, src: ValueSource, value: unknown): PluginCode[] {
  const codes: PluginCode[] = [];
  const written: string[] = [];
  for (const code of list(spec, src, value)) {
    if (awsUnloaded(spec, src, code)) continue;
    const canonical = PLUGIN_CODES.get(code);
    if (canonical === undefined) throw invalid(spec, src, code, `unknown plugin code`);
    if (written.includes(code)) throw invalid(spec, src, value, `plugin \`${canonical}\` is listed twice`);
    written.push(code);
    // Two spellings of one plugin (AWS's `efm,efm2`, `initialConnection,staleDns`) load it once.
    if (!codes.includes(canonical)) codes.push(canonical);
  }
  for (const [a, b] of EXCLUSIVE_PLUGINS) {
    if (codes.includes(a) && codes.includes(b)) {
      throw invalid(spec, src, value, `\`${a}\` and \`${b}\` cannot be loaded together; choose one`);
    }
  }
  return codes;
}

function integer(spec: OptionSpec, src: ValueSource, value: unknown, min: number, max: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (
    src.fromUrl &&
    typeof value === 'string' &&
    /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)
  ) {
    n = Number(value);
  } else throw invalid(spec, src, value, 'expected a number');
  if (!Number.isFinite(n)) throw invalid(spec, src, value, 'expected a finite number');
  const scaled = src.scale === 1 ? n : Math.round(n * src.scale);
  if (!Number.isInteger(scaled)) throw invalid(spec, src, value, 'expected an integer');
  if (scaled < min || scaled > max) {
    const unit = src.scale === 1000 ? ` (${scaled} ms)` : '';
    throw invalid(spec, src, value, `out of range${unit}`);
  }
  return scaled;
}

function boolean(spec: OptionSpec, src: ValueSource, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (src.fromUrl && typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
    if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  }
  throw invalid(spec, src, value, 'expected a boolean');
}

function oneOf<T extends string>(
  spec: OptionSpec,
  src: ValueSource,
  value: unknown,
  values: readonly T[],
): T {
  if (typeof value !== 'string') throw invalid(spec, src, value, 'expected a string');
  const found = values.find((v) => loose(v) === loose(value.trim()));
  if (found === undefined) throw invalid(spec, src, value, 'unknown value');
  return found;
}

function hostWeights(spec: OptionSpec, src: ValueSource, value: unknown): Record<string, number> {
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    entries = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map((pair): [string, unknown] => {
        const colon = pair.lastIndexOf(':');
        if (colon <= 0) throw invalid(spec, src, value, `"${pair}" is not host:weight`);
        return [pair.slice(0, colon), Number(pair.slice(colon + 1))];
      });
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else throw invalid(spec, src, value, 'expected an object of host → weight');
  const out: Record<string, number> = {};
  for (const [host, w] of entries) {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 1_000_000) {
      throw invalid(spec, src, value, `weight of "${host}" must be an integer 1..1000000`);
    }
    out[host] = w;
  }
  return out;
}

function hostList(spec: OptionSpec, src: ValueSource, value: unknown): HostAddress[] {
  const items = list(spec, src, value);
  if (items.length === 0) throw invalid(spec, src, value, 'expected at least one host');
  return items.map((item) => {
    const parsed = parseHostAddress(item, src.defaultPort);
    if (typeof parsed === 'string') throw invalid(spec, src, item, parsed);
    return parsed;
  });
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** An object with the four log methods, given in a config object (never in a connection string). */
function logger(spec: OptionSpec, src: ValueSource, value: unknown): unknown {
  if (src.fromUrl) throw invalid(spec, src, value, 'a logger cannot be given in a connection string');
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw invalid(spec, src, value, 'expected an object with debug, info, warn and error methods');
  }
  const missing = LOG_LEVELS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw invalid(spec, src, value, `it has no ${missing.join(', ')} method`);
  return value;
}

/** AWS credentials: fixed keys or a provider function (never in a connection string). */
function awsCredentials(spec: OptionSpec, src: ValueSource, value: unknown): unknown {
  if (src.fromUrl) {
    // The value is never shown: it may be a secret key.
    const name = canonicalName(spec);
    throw new ConfigurationError(
      name,
      `Option \`${name}\` cannot be given in a connection string: pass it in the config object. Accepted: ${spec.accepted.join(', ')}.`,
      spec.accepted,
    );
  }
  if (typeof value === 'function') return value;
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.accessKeyId === 'string' && typeof v.secretAccessKey === 'string') return value;
  }
  throw invalid(spec, src, value, 'expected { accessKeyId, secretAccessKey } or a provider function');
}

/** The checked, converted value of one option. Throws ConfigurationError naming the option. */
export function parseOptionValue(spec: OptionSpec, src: ValueSource, value: unknown): unknown {
  switch (spec.kind) {
    case 'plugins':
      return plugins(spec, src, value);
    case 'failoverMode':
      return oneOf<FailoverMode>(spec, src, value, FAILOVER_MODES);
    case 'strategy':
      return oneOf<HostSelectorStrategy>(spec, src, value, STRATEGIES);
    case 'hostPattern':
      if (typeof value !== 'string') throw invalid(spec, src, value, 'expected a string');
      parseHostPattern(value);
      return value.trim();
    case 'boolean':
      return boolean(spec, src, value);
    case 'durationMs':
      return integer(spec, src, value, 1, MAX_DURATION_MS);
    case 'positiveInt':
      return integer(spec, src, value, 1, 1_000_000);
    case 'hostList':
      return hostList(spec, src, value);
    case 'string':
      if (typeof value !== 'string' || value.trim().length === 0) {
        throw invalid(spec, src, value, 'expected a non-empty string');
      }
      return value.trim();
    case 'hostWeights':
      return hostWeights(spec, src, value);
    case 'logger':
      return logger(spec, src, value);
    case 'port':
      return integer(spec, src, value, 1, 65_535);
    case 'awsCredentials':
      return awsCredentials(spec, src, value);
  }
}
