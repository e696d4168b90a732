// Secrets never reach an error aurora-ha raises or passes on: every own property (deep, cause
// chain included) and util.inspect output, for the failure paths that need no engine:
// configuration errors (object and connection-string forms) and invalid mysql2 / pg URLs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { createConnection } from '../../src/mysql2.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { secretLeaks } from '../support/secret-leaks.js';

const password = fc.stringMatching(/^[A-Za-z0-9]{10,24}$/);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** Malformed mysql2 URIs that still carry a password. */
const badUris = (pw: string): string[] => [
  `mysql://u:${pw}@h[x/db`,
  `mysql://u:${pw}@ho st/db`,
  `mysql://u:${pw}@h:3306/db%`,
  `not a url ${pw}`,
];

function callbackConnectError(uri: string): Promise<unknown> {
  return new Promise((resolve) => {
    const c = createConnection({ uri, connectTimeout: 500 });
    c.on('error', () => undefined);
    c.connect((err) => {
      resolve(err);
      c.destroy();
    });
  });
}

describe('no secret in any error property or util.inspect output', () => {
  it('invalid mysql2 uri: callback and promise connections', async () => {
    await fc.assert(
      fc.asyncProperty(password, fc.nat(3), async (pw, i) => {
        const uri = badUris(pw)[i]!;
        const fromCallback = await callbackConnectError(uri);
        expect(fromCallback).toBeInstanceOf(Error);
        expect(secretLeaks(fromCallback, pw)).toEqual([]);
        const p = new PromiseConnection({ uri, connectTimeout: 500 });
        const fromPromise = await p.connect().then(
          () => undefined,
          (e: unknown) => e,
        );
        await p.end().catch(() => undefined);
        expect(fromPromise).toBeInstanceOf(Error);
        expect(secretLeaks(fromPromise, pw)).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });

  it('configuration errors, object and connection-string forms, both engines', () => {
    fc.assert(
      fc.property(password, fc.constantFrom('postgres' as const, 'mysql' as const), (pw, engine) => {
        const inputs: (Record<string, unknown> | string)[] = [
          { host: 'h', password: pw, failoverMode: pw },
          { host: 'h', password: pw, ssl: { passphrase: pw }, failoverTimeoutMs: -1 },
          { host: 'h', password: pw, plugins: [pw] },
          `${engine === 'postgres' ? 'postgres' : 'mysql'}://u:${pw}@h:1234/db?failoverMode=${pw}`,
          `${engine === 'postgres' ? 'postgres' : 'mysql'}://u:${pw}@h:99999/db`,
        ];
        for (const input of inputs) {
          const err = thrown(() => resolveConfig(engine, input));
          expect(secretLeaks(err, pw)).toEqual([]);
        }
      }),
      { numRuns: 30 },
    );
  });
});
