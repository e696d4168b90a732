// clusterInstanceHostPattern: valid patterns parse and round-trip, instance hosts are built from
// them, and every malformed or RDS-endpoint pattern is a ConfigurationError naming the option.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import {
  formatHostPattern,
  instanceHostFromPattern,
  parseHostPattern,
} from '../../src/topology/host-pattern.js';

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}[a-z0-9]$/);
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

function expectPatternError(pattern: string): void {
  try {
    parseHostPattern(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('clusterInstanceHostPattern');
    return;
  }
  throw new Error(`pattern ${pattern} was accepted`);
}

describe('host patterns', () => {
  it('round-trips and builds instance hosts for generated patterns', () => {
    fc.assert(
      fc.property(
        fc.option(label, { nil: undefined }),
        domain,
        port,
        label,
        fc.integer({ min: 1, max: 65535 }),
        (sub, d, p, instance, defaultPort) => {
          const host = sub === undefined ? `?.${d}` : `${sub}.?.${d}`;
          const text = p === undefined ? host : `${host}:${p}`;
          const parsed = parseHostPattern(text);
          expect(parsed).toEqual({ host, port: p });
          expect(formatHostPattern(parsed)).toBe(text);
          expect(instanceHostFromPattern(text, instance, defaultPort)).toEqual({
            host: host.replace('?', instance),
            port: p ?? defaultPort,
          });
        },
      ),
    );
  });

  it('rejects patterns without exactly one "?"', () => {
    fc.assert(
      fc.property(domain, fc.integer({ min: 2, max: 4 }), (d, n) => {
        expectPatternError(d);
        expectPatternError(`${'?.'.repeat(n)}${d}`);
      }),
    );
  });

  it('rejects bad ports, bad characters and RDS cluster / proxy endpoints', () => {
    for (const bad of [
      '',
      '?.x.com:0',
      '?.x.com:65536',
      '?.x.com:abc',
      '?.x..com',
      '?.x com',
      'https://?.x.com',
      '?.cluster-abc123.us-east-1.rds.amazonaws.com',
      '?.cluster-ro-abc123.us-east-1.rds.amazonaws.com',
      '?.cluster-custom-abc123.us-east-1.rds.amazonaws.com',
      '?.proxy-abc123.us-east-1.rds.amazonaws.com',
    ]) {
      expectPatternError(bad);
    }
    expect(parseHostPattern('?.abc123.us-east-1.rds.amazonaws.com:5432')).toEqual({
      host: '?.abc123.us-east-1.rds.amazonaws.com',
      port: 5432,
    });
  });
});
