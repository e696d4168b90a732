// resolveConfig: generated valid configs (object and connection-string form, canonical and seed
// spellings) are accepted and normalised; any single mutation to a wrong type / out-of-range value
// is rejected naming the option; near-miss keys get "did you mean"; driver keys pass untouched.
import fc from 'fast-check';
import { PLUGIN_CODES } from '../../src/plugins/registry.js';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import type { FailoverMode, ResolvedOptions } from '../../src/core/wrapper-options.js';
import { effectiveHostPattern } from '../../src/topology/host-pattern.js';
import { failoverModeOf } from '../../src/plugins/failover-core/failover-mode.js';
import { classifyHost } from '../../src/topology/rds-url.js';

const effectiveFailoverMode = (o: Pick<ResolvedOptions, 'failoverMode'>, host: string): FailoverMode =>
  failoverModeOf(o, classifyHost(host));
import { resolveConfig } from '../../src/config/parse-config.js';
import {
  FAILOVER_MODES,
  MAX_DURATION_MS,
  OPTIONS,
  OPTION_BY_SPELLING,
  STRATEGIES,
  type OptionSpec,
  canonicalName,
} from '../../src/config/options-table.js';
import { DRIVER_KEYS } from '../../src/config/driver-keys.js';

/** One generated option setting: how it is written and what it must resolve to. */
interface Setting {
  spec: OptionSpec;
  key: string;
  objValue: unknown;
  urlValue: string;
  expected: unknown;
}

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function spellings(spec: OptionSpec): fc.Arbitrary<{ key: string; scale: number }> {
  return fc.constantFrom(
    { key: spec.name, scale: 1 },
    ...spec.aliases.map((a) => ({ key: a.name, scale: a.scale ?? 1 })),
  );
}

function valueOf(
  spec: OptionSpec,
  scale: number,
): fc.Arbitrary<{ objValue: unknown; urlValue: string; expected: unknown }> {
  switch (spec.kind) {
    case 'durationMs':
    case 'positiveInt': {
      const max = spec.kind === 'positiveInt' ? 1_000_000 : Math.floor(MAX_DURATION_MS / scale);
      return fc
        .integer({ min: 1, max })
        .map((n) => ({ objValue: n, urlValue: String(n), expected: n * scale }));
    }
    case 'boolean':
      return fc.tuple(fc.boolean(), fc.nat(3)).map(([b, i]) => ({
        objValue: b,
        urlValue: (b ? ['true', 'TRUE', '1', 'yes'] : ['false', 'False', '0', 'no'])[i]!,
        expected: b,
      }));
    case 'strategy':
      return fc.tuple(fc.constantFrom(...STRATEGIES), fc.nat(2)).map(([s, i]) => {
        const written = [s, snake(s), s.toLowerCase()][i]!;
        return { objValue: written, urlValue: written, expected: s };
      });
    case 'failoverMode':
      return fc.tuple(fc.constantFrom(...FAILOVER_MODES), fc.nat(2)).map(([m, i]) => {
        const written = [m, m.replace(/-/g, '_'), m.toUpperCase()][i]!;
        return { objValue: written, urlValue: written, expected: m };
      });
    case 'plugins':
      return fc
        .subarray([...PLUGIN_CODES.keys()])
        .filter((codes) => {
          const canon = codes.map((c) => PLUGIN_CODES.get(c));
          return (
            new Set(canon).size === canon.length &&
            !(canon.includes('failover') && canon.includes('failover2')) &&
            !(canon.includes('iam') && canon.includes('secretsManager'))
          );
        })
        .chain((codes) =>
          fc.boolean().map((asString) => ({
            objValue: asString ? codes.join(',') : codes,
            urlValue: codes.join(','),
            expected: codes.map((c) => PLUGIN_CODES.get(c)),
          })),
        );
    case 'hostPattern':
      return fc
        .tuple(
          fc.array(label, { minLength: 1, maxLength: 3 }),
          fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        )
        .map(([ls, p]) => {
          const text = `?.${ls.join('.')}${p === undefined ? '' : `:${p}`}`;
          return { objValue: text, urlValue: text, expected: text };
        });
    case 'hostList': {
      const one = fc.tuple(
        fc.oneof(
          label,
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
        ),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      );
      return fc.array(one, { minLength: 1, maxLength: 4 }).map((hs) => {
        const texts = hs.map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
        return {
          objValue: texts,
          urlValue: texts.join(','),
          expected: hs.map(([h, p]) => ({ host: h.replace(/^\[|\]$/g, ''), port: p ?? 5432 })),
        };
      });
    }
    case 'string':
      return fc
        .stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,20}$/)
        .map((s) => ({ objValue: s, urlValue: s, expected: s }));
    case 'hostWeights':
      return fc.dictionary(label, fc.integer({ min: 1, max: 1000 }), { maxKeys: 4 }).chain((rec) =>
        fc.boolean().map((asString) => {
          const text = Object.entries(rec)
            .map(([h, w]) => `${h}:${w}`)
            .join(',');
          return { objValue: asString ? text : rec, urlValue: text, expected: rec };
        }),
      );
    case 'logger':
      // Not in `settings` (no connection-string form): see 'logger option' below.
      return fc.constant({ objValue: console, urlValue: '', expected: console });
    case 'port':
      return fc
        .integer({ min: 1, max: 65535 })
        .map((n) => ({ objValue: n, urlValue: String(n), expected: n }));
    case 'awsCredentials':
      // Not in `settings` (no connection-string form): test/unit/credentials-options.test.ts.
      return fc.constant({ objValue: undefined, urlValue: '', expected: undefined });
  }
}

function setting(spec: OptionSpec): fc.Arbitrary<Setting> {
  return spellings(spec).chain(({ key, scale }) => valueOf(spec, scale).map((v) => ({ spec, key, ...v })));
}

const settings: fc.Arbitrary<Setting[]> = fc
  .subarray(OPTIONS.filter((s) => s.kind !== 'logger' && s.kind !== 'awsCredentials'))
  .chain((specs) => (specs.length === 0 ? fc.constant([]) : fc.tuple(...specs.map(setting))));

function expectedOptions(list: readonly Setting[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) out[spec.name] = spec.default;
  for (const s of list) out[s.spec.name] = s.expected;
  return out;
}

function configError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('no ConfigurationError thrown');
}

const driverPart = {
  host: 'db.internal',
  user: 'app',
  password: 'pw-123456',
  database: 'app',
  keepAlive: true,
  myAppTag: 7,
};

describe('resolveConfig: valid configs', () => {
  it('object form: options normalised, driver keys untouched', () => {
    fc.assert(
      fc.property(settings, (list) => {
        const input: Record<string, unknown> = { ...driverPart };
        for (const s of list) input[s.key] = s.objValue;
        const r = resolveConfig('postgres', input);
        expect(r.options).toEqual(expectedOptions(list));
        expect(r.driverConfig).toEqual(driverPart);
        const hosts = list.find((s) => s.spec.name === 'hosts');
        expect(r.initialHosts).toEqual(hosts ? hosts.expected : [{ host: 'db.internal', port: 5432 }]);
      }),
    );
  });

  it('connection-string form: options parsed from text, other parameters kept in order', () => {
    fc.assert(
      fc.property(settings, fc.boolean(), (list, asObject) => {
        const base = 'postgres://app:s%3Acret@db.internal:6543/app';
        const driverParams = ['sslmode=require', 'application_name=my%20app'];
        const params = [
          driverParams[0]!,
          ...list.map((s) => `${encodeURIComponent(s.key)}=${encodeURIComponent(s.urlValue)}`),
          driverParams[1]!,
        ];
        const url = `${base}?${params.join('&')}`;
        const r = resolveConfig('postgres', asObject ? { connectionString: url, statement_timeout: 5 } : url);
        const expected = expectedOptions(list);
        const hosts = list.find((s) => s.spec.name === 'hosts');
        if (hosts) {
          // The URL's port is the default for listed hosts without one.
          expected.hosts = (hosts.expected as { host: string; port: number }[]).map((h, i) =>
            (hosts.urlValue.split(',')[i] ?? '').match(/:\d+$/) &&
            !/^[^[]*:.*:/.test(hosts.urlValue.split(',')[i] ?? '')
              ? h
              : { host: h.host, port: 6543 },
          );
        }
        expect(r.options).toEqual(expected);
        expect(r.driverConfig).toEqual({
          connectionString: `${base}?${driverParams.join('&')}`,
          ...(asObject ? { statement_timeout: 5 } : {}),
        });
        if (!hosts) expect(r.initialHosts).toEqual([{ host: 'db.internal', port: 6543 }]);
      }),
    );
  });

  it('examples: defaults, plugins [], hosts, ports, precedence, mysql uri', () => {
    const d = resolveConfig('postgres', {});
    expect(d.options.plugins).toEqual(['initialConnection', 'failover2', 'hostMonitoring']);
    expect(d.options.failoverTimeoutMs).toBe(300_000);
    expect(d.initialHosts).toEqual([{ host: 'localhost', port: 5432 }]);
    expect(resolveConfig('postgres', { plugins: [] }).options.plugins).toEqual([]);
    expect(resolveConfig('postgres', 'postgres://h/db?plugins=').options.plugins).toEqual([]);
    expect(resolveConfig('postgres', 'postgres:///db?host=/var/run/postgresql').initialHosts).toEqual([
      { host: '/var/run/postgresql', port: 5432 },
    ]);
    expect(resolveConfig('mysql', { host: 'm' }).initialHosts).toEqual([{ host: 'm', port: 3306 }]);
    expect(resolveConfig('postgres', { host: 'h', port: '5433' }).initialHosts).toEqual([
      { host: 'h', port: 5433 },
    ]);
    expect(resolveConfig('postgres', { host: '::1' }).initialHosts).toEqual([{ host: '::1', port: 5432 }]);
    expect(resolveConfig('postgres', 'postgres://u:p@[::1]:5433/db').initialHosts).toEqual([
      { host: '::1', port: 5433 },
    ]);
    expect(resolveConfig('mysql', { hosts: '[::1]:3307,b' }).initialHosts).toEqual([
      { host: '::1', port: 3307 },
      { host: 'b', port: 3306 },
    ]);
    // The connection string wins over the object, for the host and for wrapper options.
    const both = resolveConfig('postgres', {
      host: 'obj',
      connectionString: 'postgres://url:5439/db?failoverTimeoutMs=1000',
      failoverTimeoutMs: 2000,
    });
    expect(both.initialHosts).toEqual([{ host: 'url', port: 5439 }]);
    expect(both.options.failoverTimeoutMs).toBe(1000);
    expect(both.driverConfig).toEqual({ host: 'obj', connectionString: 'postgres://url:5439/db' });
    const my = resolveConfig(
      'mysql',
      'mysql://root:pw@my.cluster-abc.us-east-1.rds.amazonaws.com/db?failover_mode=reader_or_writer&charset=utf8mb4',
    );
    expect(my.driverConfig).toEqual({
      uri: 'mysql://root:pw@my.cluster-abc.us-east-1.rds.amazonaws.com/db?charset=utf8mb4',
    });
    expect(my.options.failoverMode).toBe('reader-or-writer');
    expect(resolveConfig('postgres', { failover_timeout_sec: 1.5 }).options.failoverTimeoutMs).toBe(1500);
    // The earlier names stay accepted as aliases of the *Pairs options.
    expect(
      resolveConfig('postgres', { roundRobinHostWeights: 'a:3, b:1' }).options.roundRobinHostWeightPairs,
    ).toEqual({ a: 3, b: 1 });
    expect(
      resolveConfig('postgres', { weightedRandomHostWeights: { b: 2 } }).options
        .weightedRandomHostWeightPairs,
    ).toEqual({ b: 2 });
    expect(
      resolveConfig('postgres', 'postgres://h/db?roundRobinHostWeightPairs=instance-1:3,instance-2:1').options
        .roundRobinHostWeightPairs,
    ).toEqual({ 'instance-1': 3, 'instance-2': 1 });
  });

  it('host-dependent defaults: failover mode and instance pattern', () => {
    const ro = 'db.cluster-ro-abc123.us-east-1.rds.amazonaws.com';
    const opts = resolveConfig('postgres', { host: ro }).options;
    expect(opts.failoverMode).toBeUndefined();
    expect(effectiveFailoverMode(opts, ro)).toBe('reader-or-writer');
    expect(effectiveFailoverMode(opts, 'db.cluster-abc123.us-east-1.rds.amazonaws.com')).toBe(
      'strict-writer',
    );
    expect(effectiveFailoverMode(opts, '10.0.0.1')).toBe('strict-writer');
    expect(effectiveFailoverMode({ failoverMode: 'strict-reader' }, ro)).toBe('strict-reader');
    expect(effectiveHostPattern(opts, ro)).toBe('?.abc123.us-east-1.rds.amazonaws.com');
    expect(effectiveHostPattern(opts, '10.0.0.1')).toBeUndefined();
    expect(effectiveHostPattern({ clusterInstanceHostPattern: '?.x.com' }, '10.0.0.1')).toBe('?.x.com');
  });
});

/** Values that must be rejected, per kind, for the object form (scale: alias unit). */
function invalidObjectValues(spec: OptionSpec, scale: number): unknown[] {
  switch (spec.kind) {
    case 'durationMs':
      return scale === 1
        ? [0, -1, 1.5, MAX_DURATION_MS + 1, '1000', true, null, Number.NaN, Infinity]
        : [0, -1, 3_000_000, '10', false, Number.NaN];
    case 'positiveInt':
      return [0, -3, 2.5, '3', 1_000_001];
    case 'logger':
      return ['console', 42, null, { info: () => undefined }, []];
    case 'boolean':
      return ['true', 1, 0, null, 'yes'];
    case 'strategy':
      return ['fastest', 'rnd', 42, '', ['random']];
    case 'failoverMode':
      return ['writer', 'strict', 7, 'reader-and-writer'];
    case 'plugins':
      return [
        ['nope'],
        ['failover', 'failover2'],
        ['failover', 'failover_v2'],
        ['failover', 'failover'],
        5,
        [1],
        'failover,nope',
      ];
    case 'hostPattern':
      return ['no-placeholder.com', '?.?.x.com', 5, '?.x.com:0', '?.cluster-abc.us-east-1.rds.amazonaws.com'];
    case 'hostList':
      return [[], ['a:0'], ['a:99999'], 5, ['[::1'], ['[1.2.3.4]:5'], ['a b']];
    case 'string':
      return ['', '  ', 5];
    case 'hostWeights':
      return [{ a: 0 }, { a: 1.5 }, 'a', 5, 'a:x', ['a']];
    case 'port':
      return [0, 65_536, 1.5, '5432', null];
    case 'awsCredentials':
      return ['key', 42, null, { accessKeyId: 'a' }, []];
  }
}

describe('resolveConfig: logger option', () => {
  it('takes any object with debug / info / warn / error, by identity, never shared with another config', () => {
    const a = { debug: () => 1, info: () => 1, warn: () => 1, error: () => 1 };
    const b = { debug: () => 2, info: () => 2, warn: () => 2, error: () => 2 };
    expect(resolveConfig('postgres', { host: 'h', logger: a }).options.logger).toBe(a);
    expect(resolveConfig('postgres', { host: 'h', logger: b }).options.logger).toBe(b);
    expect(resolveConfig('mysql', { host: 'h', logger: console }).options.logger).toBe(console);
    expect(resolveConfig('postgres', { host: 'h' }).options.logger).toBeUndefined();
  });

  it('is refused in a connection string and without its four methods', () => {
    expect(configError(() => resolveConfig('postgres', 'postgres://h/db?logger=console')).option).toBe(
      'logger',
    );
    const err = configError(() => resolveConfig('postgres', { host: 'h', logger: { info: () => 1 } }));
    expect(err.message).toContain('it has no debug, warn, error method');
  });
});

describe('resolveConfig: invalid values', () => {
  it('any single wrong-type or out-of-range value is rejected, naming the canonical option and the accepted values', () => {
    const mutation = fc
      .constantFrom(...OPTIONS)
      .chain((spec) =>
        spellings(spec).chain(({ key, scale }) =>
          fc.constantFrom(...invalidObjectValues(spec, scale)).map((bad) => ({ spec, key, bad })),
        ),
      );
    fc.assert(
      fc.property(settings, mutation, fc.boolean(), (list, { spec, key, bad }, asUrl) => {
        const input: Record<string, unknown> = { ...driverPart };
        for (const s of list) if (s.spec !== spec) input[s.key] = s.objValue;
        input[key] = bad;
        const urlable =
          typeof bad === 'string' &&
          spec.kind !== 'boolean' &&
          spec.kind !== 'durationMs' &&
          spec.kind !== 'positiveInt' &&
          spec.kind !== 'port';
        const err = configError(() =>
          asUrl && urlable
            ? resolveConfig(
                'postgres',
                `postgres://u:pw-secret@h/db?${encodeURIComponent(key)}=${encodeURIComponent(bad)}`,
              )
            : resolveConfig('postgres', input),
        );
        expect(err.option).toBe(canonicalName(spec));
        expect(err.message).toContain(`\`${canonicalName(spec)}\``);
        for (const a of err.accepted ?? []) expect(err.message).toContain(a);
      }),
    );
  });

  it('text values from a connection string that do not convert are rejected', () => {
    for (const [q, option] of [
      ['failoverTimeoutMs=abc', 'failoverTimeoutMs'],
      ['failoverTimeoutMs=0', 'failoverTimeoutMs'],
      ['failoverTimeoutMs=1.5', 'failoverTimeoutMs'],
      ['failover_timeout_sec=-2', 'failoverTimeoutMs'],
      ['failover_timeout_sec=9999999', 'failoverTimeoutMs'],
      ['enableFailover=maybe', 'enableFailover'],
      ['roundRobinDefaultWeight=2x', 'roundRobinDefaultWeight'],
      ['plugins=failover,failover2', 'plugins'],
    ] as const) {
      expect(configError(() => resolveConfig('mysql', `mysql://u@h/db?${q}`)).option).toBe(option);
    }
  });

  it('the same option twice in one place, and bad ports, are rejected', () => {
    expect(
      configError(() => resolveConfig('postgres', { failoverTimeoutMs: 1, failover_timeout_sec: 1 })).option,
    ).toBe('failoverTimeoutMs');
    expect(
      configError(() =>
        resolveConfig('postgres', 'postgres://h/db?plugins=failover&wrapperPlugins=failover2'),
      ).option,
    ).toBe('plugins');
    expect(configError(() => resolveConfig('postgres', { host: 'h', port: 70000 })).option).toBe('port');
    expect(configError(() => resolveConfig('postgres', { host: 'h', port: 'x' })).option).toBe('port');
  });
});

/** Near-miss spellings of `name` that are not themselves accepted spellings or driver keys. */
function nearMisses(name: string): fc.Arbitrary<string> {
  const edits = fc
    .tuple(fc.nat(name.length - 1), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'))
    .chain(([i, c]) =>
      fc.constantFrom(
        name.slice(0, i) + name.slice(i + 1),
        name.slice(0, i) + c + name.slice(i),
        name.slice(0, i) + c + name.slice(i + 1),
      ),
    );
  const whole = [name.toLowerCase(), name.toUpperCase(), snake(name), `${name}_`];
  if (name.endsWith('Ms')) {
    const stem = name.slice(0, -2);
    whole.push(`${stem}MS`, stem, `${snake(stem)}_ms`, `${stem}Millis`, `${stem}Seconds`);
  }
  return fc.oneof(fc.constantFrom(...whole), name.length >= 6 ? edits : fc.constantFrom(...whole));
}

describe('resolveConfig: near-miss option names', () => {
  it('suggests the canonical option for case / snake / unit / one-letter variants', () => {
    const miss = fc
      .constantFrom(...OPTIONS)
      .chain((spec) => nearMisses(spec.name).map((key) => ({ spec, key })));
    fc.assert(
      fc.property(miss, fc.boolean(), ({ spec, key }, asUrl) => {
        fc.pre(!OPTION_BY_SPELLING.has(key) && !DRIVER_KEYS.has(key) && key !== spec.name);
        const err = configError(() =>
          asUrl
            ? resolveConfig('postgres', `postgres://h/db?${encodeURIComponent(key)}=1`)
            : resolveConfig('postgres', { host: 'h', [key]: 1 }),
        );
        expect(err.option).toBe(canonicalName(spec));
        expect(err.message).toContain(`did you mean \`${canonicalName(spec)}\`?`);
      }),
      { numRuns: 500 },
    );
  });

  it('the examples of the brief, and keys that are not near misses pass through', () => {
    for (const key of ['failoverTimeoutMS', 'failoverTimeout', 'failover_timeout_ms']) {
      expect(configError(() => resolveConfig('postgres', { [key]: 5 })).message).toContain(
        'did you mean `failoverTimeoutMs`?',
      );
    }
    const passthrough = {
      host: 'h',
      statement_timeout: 1000,
      connectionTimeoutMillis: 500,
      application_name: 'x',
      idleTimeoutMillis: 1,
      myCustomSetting: 'keep me',
      ssl: { rejectUnauthorized: false },
    };
    expect(resolveConfig('postgres', passthrough).driverConfig).toEqual(passthrough);
    const mysqlKeys = {
      host: 'h',
      connectTimeout: 5,
      enableKeepAlive: true,
      namedPlaceholders: true,
      waitForConnections: true,
    };
    expect(resolveConfig('mysql', mysqlKeys).driverConfig).toEqual(mysqlKeys);
  });
});

describe('resolveConfig: secrets never appear in errors', () => {
  const password = fc.string({ minLength: 8, maxLength: 40 }).filter((p) => p.trim().length >= 8);
  const invalidWithPassword = (pw: string): [string, unknown][] => [
    ['failoverMode', pw],
    ['clusterInstanceHostPattern', pw],
    ['plugins', [pw]],
    ['hosts', [`${pw}:0`]],
    ['failoverReaderHostSelectorStrategy', pw],
    ['failoverTimeoutMs', pw],
    ['roundRobinHostWeights', `${pw}:x`],
    ['failoverTimeout', 5],
    ['enableFailover', pw],
  ];

  it('object form: password, nested key and the bad value itself are redacted', () => {
    fc.assert(
      fc.property(
        password,
        fc.nat(8),
        fc.constantFrom('password', 'sslPassword', 'token'),
        (pw, i, pwKey) => {
          const [key, value] = invalidWithPassword(pw)[i]!;
          const input = {
            host: 'h',
            user: 'u',
            [pwKey]: pw,
            ssl: { passphrase: pw },
            [key]: value,
            failover_timeout_sec: -1,
          };
          const err = configError(() => resolveConfig('postgres', input));
          for (const text of [err.message, ...(err.accepted ?? [])]) {
            expect(text).not.toContain(pw);
            expect(text).not.toContain(encodeURIComponent(pw));
            expect(text).not.toContain(JSON.stringify(pw).slice(1, -1));
          }
        },
      ),
    );
  });

  it('connection-string form: the userinfo password is redacted', () => {
    fc.assert(
      fc.property(password, fc.nat(8), fc.constantFrom('postgres', 'mysql'), (pw, i, engine) => {
        const [key, value] = invalidWithPassword(pw)[i]!;
        const text = Array.isArray(value) ? value.join(',') : String(value);
        const scheme = engine === 'postgres' ? 'postgres' : 'mysql';
        const url = `${scheme}://user:${encodeURIComponent(pw)}@h:1234/db?${key}=${encodeURIComponent(text)}&failover_timeout_sec=-1`;
        const err = configError(() => resolveConfig(engine, url));
        for (const t of [err.message, ...(err.accepted ?? [])]) {
          expect(t).not.toContain(pw);
          expect(t).not.toContain(encodeURIComponent(pw));
          expect(t).not.toContain(JSON.stringify(pw).slice(1, -1));
        }
      }),
    );
  });
});
