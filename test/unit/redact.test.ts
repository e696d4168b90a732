// Secret redaction helpers: secrets in every encoding are removed; connection-string passwords and
// password-like query parameters are hidden; nothing else changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, secretsOf } from '../../src/core/redact.js';

describe('redactSecrets', () => {
  it('no secret survives in raw, URL-encoded or JSON-escaped form', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), (before, secret, after) => {
        const text = `${before}${secret} ${encodeURIComponent(secret)} ${JSON.stringify(secret)}${after}`;
        const out = redactSecrets(text, [secret]);
        expect(out).not.toContain(secret);
      }),
    );
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('connect to db:5432 failed', ['hunter2'])).toBe('connect to db:5432 failed');
    expect(redactSecrets('pw hunter2 and hunter2', ['hunter2', ''])).toBe('pw *** and ***');
  });
});

describe('redactUrl', () => {
  it('hides the userinfo password and password-like parameters, keeps the rest', () => {
    expect(
      redactUrl('postgres://app:s3cr%40t@db:5432/app?sslmode=require&password=x1&application_name=a'),
    ).toBe('postgres://app:***@db:5432/app?sslmode=require&password=***&application_name=a');
    expect(redactUrl('mysql://root@db/app')).toBe('mysql://root@db/app');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('never shows a generated password', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (pw) => {
        const enc = encodeURIComponent(pw);
        const out = redactUrl(`postgres://u:${enc}@h/db?sslpassword=${enc}`);
        expect(out).toBe('postgres://u:***@h/db?sslpassword=***');
      }),
    );
  });
});

describe('secretsOf', () => {
  it('finds password-like values at the top level and one level down', () => {
    expect(
      secretsOf({ user: 'u', password: 'a', ssl: { passphrase: 'b', ca: 'c' }, token: 'd' }).sort(),
    ).toEqual(['a', 'b', 'd']);
  });
});
