// Every row of the AWS Node wrapper table (src/config/aws-wrapper-properties.ts) and every AWS
// plugin code (src/plugins/registry.ts) behaves, through resolveConfig, as its disposition says;
// docs/configuration.md carries the tables rendered from them.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { resolveConfig, type Engine } from '../../src/config/parse-config.js';
import {
  AWS_IGNORED_WARNING,
  AWS_PROPERTIES,
  type AwsPropertyRow,
} from '../../src/config/aws-wrapper-properties.js';
import {
  CANONICAL_BY_SPELLING,
  OPTION_BY_SPELLING,
  OPTIONS,
  type OptionSpec,
} from '../../src/config/options-table.js';
import { renderAwsTables, withAwsTables, AWS_DOC_START, AWS_DOC_END } from '../../src/config/options-doc.js';
import { AWS_PLUGIN_CODES, PLUGIN_CODES } from '../../src/plugins/registry.js';
import { ConfigurationError } from '../../src/core/errors.js';

const SECRET = 'S3cr3t-v4lue';
const ENGINES: readonly Engine[] = ['postgres', 'mysql'];

/** A valid value of each option kind, different from every default. */
function sampleFor(spec: OptionSpec): { value: unknown; parsed: unknown } {
  switch (spec.kind) {
    case 'durationMs':
      return { value: 1234, parsed: 1234 };
    case 'positiveInt':
      return { value: 7, parsed: 7 };
    case 'boolean':
      return { value: spec.default !== true, parsed: spec.default !== true };
    case 'strategy':
      return { value: 'roundRobin', parsed: 'roundRobin' };
    case 'failoverMode':
      return { value: 'strict-reader', parsed: 'strict-reader' };
    case 'hostPattern':
      return { value: '?.example.com', parsed: '?.example.com' };
    case 'string':
      return { value: 'c1', parsed: 'c1' };
    case 'hostWeights':
      return { value: 'instance-1:2', parsed: { 'instance-1': 2 } };
    case 'plugins':
      return { value: 'failover2', parsed: ['failover2'] };
    case 'logger':
      return { value: console, parsed: console };
    case 'hostList':
      return { value: ['a:5432'], parsed: [{ host: 'a', port: 5432 }] };
    case 'port':
      return { value: 6543, parsed: 6543 };
    case 'awsCredentials': {
      const provider = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
      return { value: provider, parsed: provider };
    }
  }
}

function keyOf(row: AwsPropertyRow): string {
  return row.prefix === true ? `${row.name}connectTimeout` : row.name;
}

let warnings: MockInstance<typeof process.emitWarning>;
beforeEach(() => {
  warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterEach(() => {
  warnings.mockRestore();
});

function awsWarnings(): string[] {
  return warnings.mock.calls
    .filter(
      (c) =>
        typeof c[1] === 'object' && c[1] !== null && (c[1] as { code?: string }).code === AWS_IGNORED_WARNING,
    )
    .map((c) => String(c[0]));
}

describe('the AWS Node wrapper table', () => {
  it('has one row per key, and every mapped alias names the option it belongs to', () => {
    const names = AWS_PROPERTIES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    // AWS's WrapperProperties (common/lib/wrapper_property.ts) has 90 keys (commit 0f75b97); plus 5 prefixes.
    expect(AWS_PROPERTIES.filter((r) => r.prefix !== true)).toHaveLength(90);
    expect(AWS_PROPERTIES.filter((r) => r.prefix === true).map((r) => r.name)).toEqual([
      'monitoring_',
      'topology_monitoring_',
      'blue_green_monitoring_',
      'frt_',
      'limitless_router_monitor_',
    ]);
    for (const row of AWS_PROPERTIES) {
      if (row.disposition !== 'mapped' || row.ours === undefined || row.ours.startsWith('driver')) continue;
      expect(CANONICAL_BY_SPELLING.get(row.name), row.name).toBe(row.ours);
    }
  });

  for (const row of AWS_PROPERTIES) {
    const key = keyOf(row);
    describe(`${key} (${row.disposition})`, () => {
      if (row.disposition === 'mapped' && row.ours !== undefined && !row.ours.startsWith('driver')) {
        it(`is accepted as our option ${row.ours}`, () => {
          const { spec, scale } = OPTION_BY_SPELLING.get(key)!;
          const { value, parsed } = sampleFor(spec);
          for (const engine of ENGINES) {
            const r = resolveConfig(engine, { host: 'h', [key]: value });
            // AWS's seconds (`iamTokenExpiration`, `secretExpirationSec`) become our ms.
            expect(r.options[spec.name], engine).toEqual(
              typeof parsed === 'number' ? parsed * scale : parsed,
            );
            expect(r.driverConfig, engine).not.toHaveProperty(key);
          }
        });
      } else if (row.disposition === 'mapped' && row.ours === 'driver') {
        it('goes to the driver as it is', () => {
          const value = key === 'port' ? 5433 : 'value-1';
          for (const engine of ENGINES) {
            expect(resolveConfig(engine, { host: 'h', [key]: value }).driverConfig[key], engine).toBe(value);
          }
        });
      } else if (row.disposition === 'mapped') {
        it(`is translated into the driver's key (${row.ours})`, () => {
          const value =
            key === 'wrapperKeepAliveProperties'
              ? { keepAlive: true, keepAliveInitialDelayMillis: 500 }
              : 4321;
          const pg = resolveConfig('postgres', { host: 'h', [key]: value }).driverConfig;
          const my = resolveConfig('mysql', { host: 'h', [key]: value }).driverConfig;
          expect(pg).not.toHaveProperty(key);
          expect(my).not.toHaveProperty(key);
          const expected: Record<string, [Record<string, unknown>, Record<string, unknown>]> = {
            wrapperConnectTimeout: [{ connectionTimeoutMillis: 4321 }, { connectTimeout: 4321 }],
            wrapperQueryTimeout: [{ query_timeout: 4321 }, {}],
            wrapperKeepAliveProperties: [
              { keepAlive: true, keepAliveInitialDelayMillis: 500 },
              { enableKeepAlive: true, keepAliveInitialDelay: 500 },
            ],
          };
          const [pgKeys, myKeys] = expected[key]!;
          expect(pg).toEqual({ host: 'h', ...pgKeys });
          expect(my).toEqual({ host: 'h', ...myKeys });
          // mysql2 has no connection-wide query timeout: that one is warned about, once.
          expect(awsWarnings()).toHaveLength(key === 'wrapperQueryTimeout' ? 1 : 0);
          // A wrong type names the key.
          expect(() => resolveConfig('postgres', { host: 'h', [key]: 'soon' })).toThrow(ConfigurationError);
        });
      } else if (row.disposition === 'covered') {
        it('is accepted and dropped, silently', () => {
          for (const engine of ENGINES) {
            const r = resolveConfig(engine, { host: 'h', [key]: SECRET });
            expect(r.driverConfig, engine).toEqual({ host: 'h' });
            expect(r.options, engine).toEqual(resolveConfig(engine, { host: 'h' }).options);
          }
          expect(awsWarnings()).toEqual([]);
        });
      } else if (row.disposition === 'warn') {
        it('warns once per process, naming the key but not the value, and is never sent to the driver', () => {
          for (const engine of ENGINES) {
            const r = resolveConfig(engine, { host: 'h', [key]: SECRET });
            expect(r.driverConfig, engine).toEqual({ host: 'h' });
          }
          const seen = awsWarnings();
          expect(seen).toHaveLength(1);
          expect(seen[0]).toContain(`\`${key}\``);
          expect(seen[0]).not.toContain(SECRET);
        });
      } else {
        it('is a ConfigurationError naming the key, saying it is not supported yet, without its value', () => {
          for (const engine of ENGINES) {
            let caught: unknown;
            try {
              resolveConfig(engine, { host: 'h', [key]: SECRET });
            } catch (err) {
              caught = err;
            }
            expect(caught, engine).toBeInstanceOf(ConfigurationError);
            const err = caught as ConfigurationError;
            expect(err.option).toBe(key);
            expect(err.message).toContain(`\`${key}\``);
            expect(err.message).toContain('not supported yet');
            expect(err.message).not.toContain(SECRET);
          }
        });
      }
    });
  }

  it('applies to connection-string parameters too', () => {
    const r = resolveConfig(
      'postgres',
      'postgres://u:pw@h/db?enableClusterAwareFailover=false&clusterTopologyRefreshRateMs=5000&rollbackOnSwitch=true&wrapperConnectTimeout=700',
    );
    expect(r.options.enableFailover).toBe(false);
    expect(r.options.topologyRefreshMs).toBe(5000);
    expect(r.driverConfig).toEqual({
      connectionString: 'postgres://u:pw@h/db',
      connectionTimeoutMillis: 700,
    });
    expect(() => resolveConfig('postgres', 'postgres://u:pw@h/db?idpUsername=x')).toThrow(
      /idpUsername.*not supported yet/,
    );
  });

  it('a rejected configuration warns about nothing: the key still warns once when the config is accepted', () => {
    const key = 'frt_rejectedFirst';
    expect(() => resolveConfig('postgres', { host: 'h', [key]: 1, idpPort: 443 })).toThrow(
      ConfigurationError,
    );
    expect(() => resolveConfig('postgres', { host: 'h', [key]: 1, plugins: 'dev,okta' })).toThrow(
      ConfigurationError,
    );
    expect(awsWarnings()).toEqual([]);
    resolveConfig('postgres', { host: 'h', [key]: 1 });
    resolveConfig('postgres', { host: 'h', [key]: 1 });
    expect(awsWarnings()).toHaveLength(1);
  });

  it('keeps our earlier names working next to AWS Node names', () => {
    const r = resolveConfig('postgres', {
      host: 'h',
      readerInitialConnectionHostSelectorStrategy: 'leastConnections',
    });
    expect(r.options.readerInitialConnectionHostSelectorStrategy).toBe('leastConnections');
    expect(() =>
      resolveConfig('postgres', {
        host: 'h',
        readerHostSelectorStrategy: 'random',
        readerInitialConnectionHostSelectorStrategy: 'random',
      }),
    ).toThrow(/`readerHostSelectorStrategy` is given twice/);
    const bad = (() => {
      try {
        resolveConfig('postgres', { host: 'h', readerHostSelectorStrategy: 'nearest' });
      } catch (err) {
        return err as ConfigurationError;
      }
      return undefined;
    })();
    expect(bad?.option).toBe('readerHostSelectorStrategy');
  });
});

describe('AWS plugin codes in `plugins`', () => {
  it('lists all 19 of AWS Node’s codes once', () => {
    const codes = AWS_PLUGIN_CODES.map((c) => c.code);
    expect(new Set(codes).size).toBe(19);
  });

  for (const c of AWS_PLUGIN_CODES) {
    it(`${c.code} (${c.disposition})`, () => {
      const resolve = (): readonly string[] =>
        resolveConfig('postgres', { host: 'h', plugins: c.code }).options.plugins;
      switch (c.disposition) {
        case 'mapped':
          expect(PLUGIN_CODES.get(c.code)).toBe(c.ours);
          expect(resolve()).toEqual([c.ours]);
          break;
        case 'covered':
          expect(resolve()).toEqual([]);
          expect(awsWarnings()).toEqual([]);
          break;
        case 'warn':
          expect(resolve()).toEqual([]);
          expect(resolve()).toEqual([]);
          expect(awsWarnings()).toHaveLength(1);
          expect(awsWarnings()[0]).toContain(`plugin \`${c.code}\``);
          break;
        case 'error': {
          expect(resolve).toThrow(ConfigurationError);
          expect(resolve).toThrow(`Plugin \`${c.code}\` (option plugins) is not supported yet`);
          break;
        }
      }
    });
  }

  it("AWS's default list works as written (it was a ConfigurationError: auroraConnectionTracker)", () => {
    const r = resolveConfig('postgres', {
      host: 'h',
      plugins: 'initialConnection,auroraConnectionTracker,failover2,efm2',
    });
    expect(r.options.plugins).toEqual(['initialConnection', 'failover2', 'hostMonitoring']);
  });

  it('two AWS spellings of one plugin load it once; one spelling twice is still a mistake', () => {
    expect(resolveConfig('postgres', { host: 'h', plugins: 'efm,efm2' }).options.plugins).toEqual([
      'hostMonitoring',
    ]);
    expect(
      resolveConfig('postgres', { host: 'h', plugins: 'initialConnection,staleDns,failover' }).options
        .plugins,
    ).toEqual(['initialConnection', 'failover']);
    expect(() => resolveConfig('postgres', { host: 'h', plugins: 'failover,failover' })).toThrow(
      /listed twice/,
    );
    expect(resolveConfig('postgres', { host: 'h', plugins: '' }).options.plugins).toEqual([]);
  });
});

describe('docs/configuration.md AWS tables', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  it('are the tables rendered from the code (run `npm run docs:options` after changing them)', () => {
    expect(withAwsTables(doc)).toBe(doc);
    expect(doc.slice(doc.indexOf(AWS_DOC_START), doc.indexOf(AWS_DOC_END))).toContain(renderAwsTables());
    for (const row of AWS_PROPERTIES)
      expect(doc).toContain(`| \`${row.name}${row.prefix === true ? '*' : ''}\` |`);
  });

  it('show the AWS aliases in the option table', () => {
    for (const name of [
      'enableClusterAwareFailover',
      'clusterTopologyRefreshRateMs',
      'transferSessionStateOnSwitch',
    ]) {
      const spec = OPTIONS.find((s) => s.aliases.some((a) => a.name === name));
      expect(spec, name).toBeDefined();
    }
    expect(doc).toMatch(/^\| `readerHostSelectorStrategy` \| `readerInitialConnectionHostSelectorStrategy`/m);
    expect(doc).toMatch(/^\| `enableFailover` \| [^|]*`enableClusterAwareFailover`/m);
  });
});
