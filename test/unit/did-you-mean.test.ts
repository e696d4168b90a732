// "Did you mean": Levenshtein distance is a metric, and suggestions find the intended wrapper
// option for case / separator / unit / typo variants while leaving unrelated names alone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein, normalizeKey } from '../../src/core/did-you-mean.js';
import { CANONICAL_BY_SPELLING } from '../../src/config/options-table.js';

describe('levenshtein', () => {
  it('is a metric: identity, symmetry, triangle inequality, bounded by the longer length', () => {
    const s = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        expect(levenshtein(a, a)).toBe(0);
        expect(levenshtein(a, b)).toBe(levenshtein(b, a));
        expect(levenshtein(a, c)).toBeLessThanOrEqual(levenshtein(a, b) + levenshtein(b, c));
        expect(levenshtein(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(levenshtein(a, b) === 0).toBe(a === b);
      }),
    );
  });

  it('counts single edits', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
  });
});

describe('didYouMean', () => {
  it('maps variants onto the canonical option', () => {
    const cases: [string, string][] = [
      ['failoverTimeoutMS', 'failoverTimeoutMs'],
      ['failoverTimeout', 'failoverTimeoutMs'],
      ['failover_timeout_ms', 'failoverTimeoutMs'],
      ['failover-timeout-seconds', 'failoverTimeoutMs'],
      ['FAILOVER_MODE', 'failoverMode'],
      ['failovermode', 'failoverMode'],
      ['plugin', 'plugins'],
      ['wrapperPlugin', 'plugins'],
      ['clusterInstanceHostPatern', 'clusterInstanceHostPattern'],
      ['readerInitialConnectionHostSelectorStrategie', 'readerHostSelectorStrategy'],
      ['topologyRefreshRateMs', 'topologyRefreshMs'],
      ['readerHostSelectorStrateg', 'readerHostSelectorStrategy'],
    ];
    for (const [key, expected] of cases) expect(didYouMean(key, CANONICAL_BY_SPELLING), key).toBe(expected);
  });

  it('leaves unrelated names alone', () => {
    for (const key of [
      'application_name',
      'statement_timeout',
      'keepAlive',
      'ssl',
      'max',
      'myFlag',
      'timezone',
    ]) {
      expect(didYouMean(key, CANONICAL_BY_SPELLING), key).toBeUndefined();
    }
  });

  it('normalizeKey ignores case and separators', () => {
    expect(normalizeKey('Failover_Timeout-MS')).toBe('failovertimeoutms');
  });
});

describe('spellings from other wrappers', () => {
  // AWS Node's names win: there clusterTopologyRefreshRateMs is the topology cache lifetime
  // (and failover2's monitor period), which is our topologyRefreshMs; the .NET wrapper's
  // failover refresh rate is failoverClusterTopologyRefreshRateMs.
  it("clusterTopologyRefreshRateMs is AWS Node's name of topologyRefreshMs", () => {
    expect(CANONICAL_BY_SPELLING.get('clusterTopologyRefreshRateMs')).toBe('topologyRefreshMs');
  });
});
