/**
 * The emulator's RDS IAM token verifier (issue 22) against tokens from the real
 * `@aws-sdk/rds-signer`: accepted for every name of the cluster, refused — each for its own
 * reason — for another cluster's name, an IP address, the wrong port or DBUser, once expired,
 * badly signed, signed with another key, service or region, or malformed; and any one-character
 * change of a good token refused. No engine is started.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { inspect } from 'node:util';
import { Signer } from '@aws-sdk/rds-signer';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyIamToken, type IamTokenExpectation } from '../../src/emulator/aws/iam-token.js';
import { escapeUri, parseAmzDate } from '../../src/emulator/aws/sigv4.js';
import { createTestAwsAccount, type TestAwsAccount } from '../../src/emulator/aws/test-account.js';
import { secretLeaks } from '../support/secret-leaks.js';

const CLUSTER = 'emu-abc.cluster-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const READER = 'emu-abc.cluster-ro-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const INSTANCE_1 = 'emu-abc-1.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const INSTANCE_2 = 'emu-abc-2.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const CUSTOM = 'analytics.cluster-custom-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const NAMES = [CLUSTER, READER, INSTANCE_1, INSTANCE_2, CUSTOM];
const OTHER_CLUSTER = 'emu-xyz.cluster-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
const PORT = 25432;
const USER = 'app_iam';

const account = createTestAwsAccount();

function expectation(over: Partial<IamTokenExpectation> = {}): IamTokenExpectation {
  return { hostNames: NAMES, port: PORT, user: USER, account, ...over };
}

interface TokenFor {
  hostname?: string;
  port?: number;
  username?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

function bytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === 'string') return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** The hash smithy's SignatureV4 asks for (rds-signer passes its own). */
class Sha256Hasher {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

function token(o: TokenFor = {}): Promise<string> {
  return new Signer({
    hostname: o.hostname ?? CLUSTER,
    port: o.port ?? PORT,
    username: o.username ?? USER,
    region: o.region ?? account.region,
    credentials: o.credentials ?? {
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
    },
  }).getAuthToken();
}

function signedAt(t: string): number {
  const m = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(t);
  return parseAmzDate(m![1]!)!;
}

/** A presigned token made with smithy's SignatureV4 directly, for what rds-signer will not do (another service). */
async function presignWith(service: string, acct: TestAwsAccount = account): Promise<string> {
  const signer = new SignatureV4({
    service,
    region: acct.region,
    credentials: { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey },
    sha256: Sha256Hasher,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: CLUSTER,
      port: PORT,
      path: '/',
      query: { Action: 'connect', DBUser: USER },
      headers: { host: `${CLUSTER}:${PORT}` },
    },
    { expiresIn: 900 },
  );
  const q = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`)
    .join('&');
  return `${CLUSTER}:${PORT}/?${q}`;
}

function refusal(t: string, over: Partial<IamTokenExpectation> = {}): string {
  const v = verifyIamToken(t, expectation(over));
  return v.ok ? 'accepted' : v.reason;
}

describe('IAM token verifier (rds-signer tokens)', () => {
  it('accepts a good token for every name of the cluster, whatever the case', async () => {
    for (const name of NAMES) {
      expect(refusal(await token({ hostname: name }))).toBe('accepted');
      expect(refusal(await token({ hostname: name.toUpperCase() }))).toBe('accepted');
    }
    // and with the expectation's names in another case
    expect(refusal(await token(), { hostNames: NAMES.map((n) => n.toUpperCase()) })).toBe('accepted');
  });

  it('accepts a token signed with temporary credentials (X-Amz-Security-Token) of the account', async () => {
    const t = await token({
      credentials: {
        accessKeyId: account.accessKeyId,
        secretAccessKey: account.secretAccessKey,
        sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDOpN+example/token==',
      },
    });
    expect(t).toContain('X-Amz-Security-Token=');
    expect(refusal(t)).toBe('accepted');
  });

  it("refuses another cluster's name", async () => {
    expect(refusal(await token({ hostname: OTHER_CLUSTER }))).toBe('wrong-host');
  });

  it('refuses an IP address, even when it is listed', async () => {
    expect(refusal(await token({ hostname: '127.0.0.1' }))).toBe('wrong-host');
    expect(refusal(await token({ hostname: '127.0.0.1' }), { hostNames: [...NAMES, '127.0.0.1'] })).toBe(
      'wrong-host',
    );
  });

  it('refuses the wrong port and the wrong DBUser', async () => {
    expect(refusal(await token({ port: PORT + 1 }))).toBe('wrong-port');
    expect(refusal(await token({ username: 'app_iam2' }))).toBe('wrong-user');
    expect(refusal(await token({ username: 'APP_IAM' }))).toBe('wrong-user');
  });

  it('refuses once X-Amz-Expires (900 s) has passed, and past maxAgeMs', async () => {
    const t = await token();
    const at = signedAt(t);
    expect(refusal(t, { now: at + 899_000 })).toBe('accepted');
    expect(refusal(t, { now: at + 900_000 })).toBe('expired');
    expect(refusal(t, { now: at + 3_600_000 })).toBe('expired');
    expect(refusal(t, { now: at + 4_000, maxAgeMs: 5_000 })).toBe('accepted');
    expect(refusal(t, { now: at + 5_000, maxAgeMs: 5_000 })).toBe('expired');
  });

  it('refuses a token dated beyond the clock skew bound (5 min)', async () => {
    const t = await token();
    const at = signedAt(t);
    expect(refusal(t, { now: at - 60_000 })).toBe('accepted');
    expect(refusal(t, { now: at - 6 * 60_000 })).toBe('not-yet-valid');
  });

  it('refuses a bad signature (one character changed)', async () => {
    const t = await token();
    const m = /X-Amz-Signature=([0-9a-f]{64})/.exec(t)!;
    const i = m.index + 'X-Amz-Signature='.length + 10;
    const changed = t.slice(0, i) + (t[i] === '0' ? '1' : '0') + t.slice(i + 1);
    expect(refusal(changed)).toBe('bad-signature');
  });

  it('refuses another secret key and another access key', async () => {
    const other = createTestAwsAccount();
    expect(
      refusal(
        await token({
          credentials: { accessKeyId: account.accessKeyId, secretAccessKey: other.secretAccessKey },
        }),
      ),
    ).toBe('bad-signature');
    expect(
      refusal(
        await token({
          credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey },
        }),
      ),
    ).toBe('wrong-key');
  });

  it('refuses another service and another region', async () => {
    expect(refusal(await presignWith('rds-db'))).toBe('accepted');
    expect(refusal(await presignWith('rds'))).toBe('wrong-service');
    expect(refusal(await presignWith('s3'))).toBe('wrong-service');
    expect(refusal(await token({ region: 'eu-west-1' }))).toBe('wrong-region');
  });

  it('refuses malformed tokens: garbage, missing parameters, a password', async () => {
    const t = await token();
    const garbage = [
      '',
      'x',
      'hunter2',
      '::::',
      `${CLUSTER}:${PORT}`,
      `${CLUSTER}:${PORT}/`,
      `https://${t}`,
      '\u0000'.repeat(50),
      'a'.repeat(100_000),
    ];
    for (const g of garbage) expect(refusal(g)).toBe('malformed');
    for (const p of [
      'Action',
      'DBUser',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    ]) {
      const without = t.replace(new RegExp(`([?&])${p}=[^&]*&?`), '$1').replace(/&$/, '');
      expect(without).not.toBe(t);
      // A missing Action or DBUser changes what was signed: refused either way, never accepted.
      expect(refusal(without)).not.toBe('accepted');
      if (p.startsWith('X-Amz')) expect(refusal(without)).toBe('malformed');
    }
    expect(refusal(`${t}&X-Amz-Date=20200101T000000Z`)).toBe('malformed');
    expect(refusal(t.replace(':' + PORT, ':0' + PORT))).toBe('malformed');
    // Not a string at all (a caller bug): refused, never thrown.
    expect(refusal(undefined as unknown as string)).toBe('malformed');
  });

  it("says why without the token, its signature or the account's secret", async () => {
    const t = await token({ hostname: OTHER_CLUSTER });
    const v = verifyIamToken(t, expectation());
    const sig = /X-Amz-Signature=([0-9a-f]{64})/.exec(t)![1]!;
    for (const secret of [t, sig, account.secretAccessKey]) expect(secretLeaks(v, secret)).toEqual([]);
    expect(inspect(account)).not.toContain(account.secretAccessKey);
    expect(JSON.stringify(account)).not.toContain(account.secretAccessKey);
    expect({ ...account }.secretAccessKey).toBe(account.secretAccessKey);
  });

  it('refuses any single-character change of a good token', async () => {
    const t = await token({ hostname: INSTANCE_1, username: 'app iam+x/y' });
    const ok = expectation({ user: 'app iam+x/y' });
    const at = signedAt(t);
    expect(verifyIamToken(t, { ...ok, now: at }).ok).toBe(true);
    const ch = fc.oneof(
      fc.constantFrom(...'0123456789abcdefABCDEF%&=?/:.-_~+ '.split('')),
      fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
    );
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat({ max: t.length - 1 }), ch }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: t.length }), ch }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: t.length - 1 }), ch }),
    );
    fc.assert(
      fc.property(edit, (e) => {
        const mutated =
          e.kind === 'replace'
            ? t.slice(0, e.at) + e.ch + t.slice(e.at + 1)
            : e.kind === 'insert'
              ? t.slice(0, e.at) + e.ch + t.slice(e.at)
              : t.slice(0, e.at) + t.slice(e.at + 1);
        fc.pre(mutated !== t);
        return !verifyIamToken(mutated, { ...ok, now: at }).ok;
      }),
      { numRuns: 3000 },
    );
    // and exhaustively: every position, as the next and the previous character and in the other case
    for (let i = 0; i < t.length; i++) {
      const code = t.charCodeAt(i);
      const c = t[i]!;
      const variants = [
        String.fromCharCode(code + 1),
        String.fromCharCode(code - 1),
        c.toUpperCase(),
        c.toLowerCase(),
      ];
      for (const v of variants) {
        const mutated = t.slice(0, i) + v + t.slice(i + 1);
        if (mutated !== t)
          expect(verifyIamToken(mutated, { ...ok, now: at }).ok, `position ${i} → ${v}`).toBe(false);
      }
    }
  });
});
