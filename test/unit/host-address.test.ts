// host[:port] parsing for the `hosts` option: names, IPv4, IPv6 (bracketed with a port, bare
// without), default ports, and a reason string for every malformed entry.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHostAddress } from '../../src/config/host-address.js';

describe('parseHostAddress', () => {
  it('round-trips generated names and addresses with and without a port', () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (h, port) => {
        const v6 = h.includes(':');
        const text = port === undefined ? h : v6 ? `[${h}]:${port}` : `${h}:${port}`;
        expect(parseHostAddress(text, 5432)).toEqual({ host: h, port: port ?? 5432 });
      }),
    );
  });

  it('explains malformed entries', () => {
    for (const bad of [
      '',
      ':5432',
      'a:0',
      'a:65536',
      'a:x',
      '[::1',
      '[::1]x',
      '[1.2.3.4]:5',
      '1:2:3',
      'a b',
      'u@h',
    ]) {
      expect(typeof parseHostAddress(bad, 5432), bad).toBe('string');
    }
    expect(parseHostAddress('[::1]', 3306)).toEqual({ host: '::1', port: 3306 });
  });
});
