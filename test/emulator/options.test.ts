/**
 * Emulator options are checked against their table before anything starts (no engine needed):
 * unknown keys answered with "did you mean", wrong types and ranges with a ConfigurationError
 * naming the option; the CLI flags the same; docs/emulator.md lists every row.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEmulatorFlags } from '../../src/cli/emulator-flags.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { startCluster } from '../../src/emulator.js';
import { dnsPatched } from '../../src/emulator/dns.js';
import { emulatorOptionsMarkdown } from '../../src/emulator/options-doc.js';
import {
  FAILOVER_OPTIONS,
  OPTION_TABLES,
  PARTITION_OPTIONS,
  SWITCHOVER_OPTIONS,
} from '../../src/emulator/option-table.js';
import { checkOptions } from '../../src/emulator/options.js';
import type { StartClusterOptions } from '../../src/emulator.js';

/** startCluster with anything a JavaScript caller could pass. */
const start = (options: Record<string, unknown>): Promise<unknown> =>
  startCluster(options as unknown as StartClusterOptions);

async function configurationError(work: Promise<unknown>): Promise<ConfigurationError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigurationError);
  return err as ConfigurationError;
}

function thrown(fn: () => void): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('nothing thrown');
}

describe('startCluster options', () => {
  it('a misspelled key: ConfigurationError with did you mean, before anything starts', async () => {
    const t0 = Date.now();
    const err = await configurationError(
      start({ engine: 'postgres', instances: 1, dnsLagMS: 5000, bogus: 1 }),
    );
    expect(err.option).toBe('dnsLagMs');
    expect(err.message).toMatch(/unknown option "dnsLagMS": did you mean dnsLagMs\?/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(dnsPatched()).toBe(false);
  });

  it('an unknown key with no near miss lists the options', async () => {
    const err = await configurationError(start({ engine: 'mysql', bogus: 1 }));
    expect(err.message).toMatch(/unknown option "bogus" \(options: engine, flavor, instances, dnsLagMs/);
  });

  it.each<[Record<string, unknown>, string, RegExp]>([
    [{}, 'engine', /engine must be one of "postgres", "mysql" \(got undefined\)/],
    [{ engine: 'oracle' }, 'engine', /got "oracle"/],
    [
      { engine: 'postgres', instances: '3' },
      'instances',
      /instances must be an integer from 1 to 99 \(got "3"\)/,
    ],
    [{ engine: 'postgres', instances: 100 }, 'instances', /from 1 to 99 \(got 100\)/],
    [{ engine: 'postgres', dnsLagMs: -1 }, 'dnsLagMs', /dnsLagMs must be an integer from 0 to 3600000/],
    [{ engine: 'postgres', promotionDelayMs: 1.5 }, 'promotionDelayMs', /got 1.5/],
    [
      { engine: 'postgres', maxConnections: 5 },
      'maxConnections',
      /maxConnections must be an integer from 20 to 100000/,
    ],
    [{ engine: 'postgres', tls: 'yes' }, 'tls', /tls must be true or false \(got "yes"\)/],
    [{ engine: 'postgres', verbose: 1 }, 'verbose', /verbose must be true or false/],
    [{ engine: 'postgres', region: 'us east' }, 'region', /region must be a DNS label/],
    [{ engine: 'postgres', clusterId: 'a.b' }, 'clusterId', /clusterId must be a DNS label/],
    [{ engine: 'mysql', flavor: 'replica' }, 'flavor', /PostgreSQL only/],
    [{ engine: 'postgres', flavor: 'multiaz' }, 'flavor', /one of "aurora", "multi-az", "replica"/],
  ])('%j → ConfigurationError naming %s', async (options, option, message) => {
    const err = await configurationError(start(options));
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('options that are not an object', async () => {
    const err = await configurationError(startCluster(null as unknown as StartClusterOptions));
    expect(err.message).toMatch(/options must be an object/);
  });
});

describe('options of the cluster methods', () => {
  it.each<[string, () => void, string, RegExp]>([
    [
      'failover',
      () => checkOptions(FAILOVER_OPTIONS, { targets: 'instance-2' }),
      'target',
      /did you mean target/,
    ],
    [
      'failover',
      () => checkOptions(FAILOVER_OPTIONS, { keepOldWriterdown: true }),
      'keepOldWriterDown',
      /did you mean keepOldWriterDown/,
    ],
    [
      'failover',
      () => checkOptions(FAILOVER_OPTIONS, { silent: 'yes' }),
      'silent',
      /silent must be true or false/,
    ],
    [
      'failover',
      () => checkOptions(FAILOVER_OPTIONS, { target: 2 }),
      'target',
      /target must be an instance id \(got 2\)/,
    ],
    [
      'switchover',
      () => checkOptions(SWITCHOVER_OPTIONS, { silent: true }),
      'silent',
      /switchover: unknown option "silent"/,
    ],
    [
      'partition',
      () => checkOptions(PARTITION_OPTIONS, { mode: 'bhole' }),
      'mode',
      /mode must be one of "blackhole"/,
    ],
    ['partition', () => checkOptions(PARTITION_OPTIONS, {}), 'mode', /got undefined/],
    ['partition', () => checkOptions(PARTITION_OPTIONS, { modes: 'reset' }), 'mode', /did you mean mode/],
  ])('%s: bad options → ConfigurationError naming the option', (_where, fn, option, message) => {
    const err = thrown(fn);
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('accepts what the tables accept', () => {
    checkOptions(FAILOVER_OPTIONS, undefined);
    checkOptions(FAILOVER_OPTIONS, { target: 'instance-2', silent: true, keepOldWriterDown: false });
    checkOptions(SWITCHOVER_OPTIONS, {});
    checkOptions(PARTITION_OPTIONS, { mode: 'refuse' });
  });
});

describe('aurora-ha emulator flags', () => {
  it('parses flags into startCluster options', () => {
    expect(
      parseEmulatorFlags([
        '--engine',
        'mysql',
        '--instances=2',
        '--dns-lag-ms',
        '500',
        '--tls',
        '--cluster-id',
        'abc',
      ]),
    ).toEqual({
      help: false,
      options: { engine: 'mysql', instances: 2, dnsLagMs: 500, tls: true, clusterId: 'abc' },
    });
    expect(parseEmulatorFlags([]).options).toEqual({ engine: 'postgres' });
  });

  it.each<[string[], RegExp]>([
    [['--dns-lag-MS', '5'], /unknown flag --dns-lag-MS: did you mean --dns-lag-ms\?/],
    [['--promotion-delay', '5'], /did you mean --promotion-delay-ms\?/],
    [['--instances', 'three'], /--instances must be an integer from 1 to 99 \(got "three"\)/],
    [['--max-connections', '5'], /--max-connections must be an integer from 20 to 100000/],
    [['--engine', 'oracle'], /--engine must be one of "postgres", "mysql"/],
    [['--region'], /--region needs a value/],
    [['postgres'], /unexpected argument "postgres"/],
  ])('%j → ConfigurationError', (argv, message) => {
    expect(thrown(() => parseEmulatorFlags(argv)).message).toMatch(message);
  });
});

describe('docs/emulator.md', () => {
  it('lists every option of the table, as generated (npx tsx test/support/write-emulator-options-doc.ts)', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../../docs/emulator.md'), 'utf8');
    expect(doc).toContain(emulatorOptionsMarkdown());
    for (const table of OPTION_TABLES)
      for (const row of table.rows) expect(doc).toMatch(new RegExp(`\\| \`${row.name}\` \\|`));
  });
});
