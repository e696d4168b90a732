/**
 * Validation of the emulator's options against their table (option-table.ts), before anything
 * starts: an unknown key is a ConfigurationError with "did you mean", a wrong type or a value
 * out of range one naming the option. Also resolves startCluster's defaults.
 */
import { didYouMean } from '../core/did-you-mean.js';
import { ConfigurationError } from '../core/errors.js';
import type { EmulatedEngine, EmulatedFlavor } from './engine.js';
import { START_OPTIONS, type IntegerRow, type OptionRow, type OptionTable } from './option-table.js';
import type { StartClusterOptions } from './types.js';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/** What the row accepts, in words (also the doc's "range" column). */
export function accepted(row: OptionRow): string {
  switch (row.type) {
    case 'integer':
      return `an integer from ${row.min} to ${row.max}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return row.values.map((v) => `"${v}"`).join(', ');
    case 'string':
      return row.patternDoc;
  }
}

function acceptedList(row: OptionRow): readonly string[] {
  if (row.type === 'enum') return row.values;
  if (row.type === 'boolean') return ['true', 'false'];
  return [accepted(row)];
}

function invalid(where: string, row: OptionRow, value: unknown, label = row.name): ConfigurationError {
  return new ConfigurationError(
    row.name,
    `${where}: ${label} must be ${row.type === 'enum' ? 'one of ' : ''}${accepted(row)} (got ${show(value)})`,
    acceptedList(row),
  );
}

/** Throws unless `value` (given, not undefined) fits `row`; `label` names it in the message (e.g. a CLI flag). */
export function checkValue(where: string, row: OptionRow, value: unknown, label = row.name): void {
  const ok =
    row.type === 'integer'
      ? typeof value === 'number' && Number.isInteger(value) && value >= row.min && value <= row.max
      : row.type === 'boolean'
        ? typeof value === 'boolean'
        : row.type === 'enum'
          ? typeof value === 'string' && row.values.includes(value)
          : typeof value === 'string' && row.pattern.test(value);
  if (!ok) throw invalid(where, row, value, label);
}

/** Throws unless `value` is an integer within `row` (a positional argument such as latency's ms). */
export function checkInteger(where: string, row: IntegerRow, value: unknown): asserts value is number {
  checkValue(where, row, value);
}

function unknownKey(table: OptionTable, key: string): ConfigurationError {
  const names = table.rows.map((r) => r.name);
  const suggestion = didYouMean(key, new Map(names.map((n) => [n, n])));
  const hint = suggestion === undefined ? ` (options: ${names.join(', ')})` : `: did you mean ${suggestion}?`;
  return new ConfigurationError(
    suggestion ?? key,
    `${table.where}: unknown option ${JSON.stringify(key)}${hint}`,
    suggestion === undefined ? names : [suggestion],
  );
}

/**
 * Throws a ConfigurationError unless `input` is an options object of `table` (undefined is
 * accepted when no row is required): no unknown key, every value of its type and range.
 */
export function checkOptions(table: OptionTable, input: unknown): void {
  if (input === undefined && !table.rows.some((r) => r.required === true)) return;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigurationError(
      table.where,
      `${table.where}: options must be an object (got ${show(input)})`,
    );
  }
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!table.rows.some((r) => r.name === key)) throw unknownKey(table, key);
  }
  for (const row of table.rows) {
    const value = given[row.name];
    if (value === undefined) {
      if (row.required === true) throw invalid(table.where, row, value);
      continue;
    }
    checkValue(table.where, row, value);
  }
}

/** startCluster's options, checked, with every default filled in. */
export interface ResolvedStartOptions {
  engine: EmulatedEngine;
  flavor: EmulatedFlavor;
  instances: number;
  dnsLagMs: number;
  promotionDelayMs: number;
  maxConnections: number;
  region: string;
  /** Undefined: a random one is drawn. */
  clusterId: string | undefined;
  tls: boolean;
  verbose: boolean;
  iam: boolean;
  iamTokenTtlMs: number;
  /** Undefined: no throttle. */
  iamLoginsPerSecond: number | undefined;
  /** Secrets Manager on the cluster's AWS-API server (issue 22). */
  secretsManager: boolean;
}

function rowDefault<T>(name: string): T {
  const row = START_OPTIONS.rows.find((r) => r.name === name);
  return row?.default as T;
}

/** The AWS side (`secretsManager`, `iam`) signs for the cluster's region: it must be an AWS region name. */
export function checkAwsRegion(region: string): void {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new ConfigurationError(
      'region',
      `startCluster: region must be an AWS region name such as "us-east-1" when the cluster serves AWS APIs (got ${JSON.stringify(region)})`,
    );
  }
}

/** Check startCluster's options (before anything starts) and fill in the defaults. */
export function resolveStartOptions(input: StartClusterOptions): ResolvedStartOptions {
  checkOptions(START_OPTIONS, input);
  const flavor = input.flavor ?? rowDefault<EmulatedFlavor>('flavor');
  if (flavor === 'replica' && input.engine !== 'postgres') {
    throw new ConfigurationError(
      'flavor',
      'startCluster: flavor "replica" is PostgreSQL only (engine: "postgres")',
      ['aurora', 'multi-az'],
    );
  }
  const tls = input.tls ?? rowDefault<boolean>('tls');
  const iam = input.iam ?? rowDefault<boolean>('iam');
  if (iam && !tls) {
    throw new ConfigurationError(
      'iam',
      'startCluster: iam: true needs tls: true (IAM tokens are sent only over TLS, as RDS requires)',
    );
  }
  for (const name of ['iamTokenTtlMs', 'iamLoginsPerSecond'] as const) {
    if (input[name] !== undefined && !iam)
      throw new ConfigurationError(name, `startCluster: ${name} applies only with iam: true`);
  }
  if (iam && input.engine === 'mysql' && flavor !== 'aurora') {
    throw new ConfigurationError(
      'iam',
      `startCluster: iam with engine "mysql" needs flavor "aurora" (its metadata proxy checks the tokens)`,
    );
  }
  if (input.secretsManager === true || iam) checkAwsRegion(input.region ?? rowDefault<string>('region'));
  return {
    engine: input.engine,
    flavor,
    instances: input.instances ?? rowDefault<number>('instances'),
    dnsLagMs: input.dnsLagMs ?? rowDefault<number>('dnsLagMs'),
    promotionDelayMs: input.promotionDelayMs ?? rowDefault<number>('promotionDelayMs'),
    maxConnections: input.maxConnections ?? rowDefault<number>('maxConnections'),
    region: input.region ?? rowDefault<string>('region'),
    clusterId: input.clusterId?.toLowerCase(),
    tls,
    verbose: input.verbose ?? rowDefault<boolean>('verbose'),
    iam,
    iamTokenTtlMs: input.iamTokenTtlMs ?? rowDefault<number>('iamTokenTtlMs'),
    iamLoginsPerSecond: input.iamLoginsPerSecond,
    secretsManager: input.secretsManager ?? rowDefault<boolean>('secretsManager'),
  };
}
