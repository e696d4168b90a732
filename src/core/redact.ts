/**
 * Secret redaction for error messages and log lines: removes known secret values from text and
 * the password part of connection strings (userinfo and password-like query parameters).
 */

export const REDACTED = '***';

/** Keys whose values are secrets wherever they appear (config objects, URL query parameters). */
const SECRET_KEY = /pass(word)?|pwd|secret|token|credential|private.?key|api.?key/i;

/**
 * Options of the `iam` / `secretsManager` plugins whose names match SECRET_KEY but that only say
 * where a secret is or how long it lives (a secret's id, region, endpoint, JSON keys).
 */
const NOT_SECRET = new Set([
  'secretId',
  'secretRegion',
  'secretEndpoint',
  'secretExpirationSec',
  'secretExpirationMs',
  'secretUsernameProperty',
  'secretPasswordProperty',
  'secretsManagerSecretId',
  'secretsManagerRegion',
  'secretsManagerEndpoint',
  'secretsManagerExpirationSec',
  'secretsManagerSecretUsernameProperty',
  'secretsManagerSecretPasswordProperty',
  'iamTokenExpiration',
  'iamTokenExpirationMs',
]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET.has(key);
}

/**
 * Replaces every occurrence of each secret (raw, URL-encoded and JSON-escaped) with `***`,
 * longest first. If a secret could still be read afterwards (e.g. it is made of `*`), the whole
 * text is withheld rather than risk showing it.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  const raw: string[] = [];
  for (const s of secrets) {
    if (s.length === 0) continue;
    raw.push(s);
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  let out = text;
  for (const s of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(REDACTED);
  }
  if (raw.some((s) => out.includes(s))) return '(message withheld: it would reveal a secret)';
  return out;
}

/**
 * Hides the password of a connection string (`scheme://user:secret@host` → `scheme://user:***@host`)
 * and the values of password-like query parameters. Works on unparseable strings too (text-level).
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
  out = out.replace(/([?&;])([^=&#;]+)=([^&#;]*)/g, (m, sep: string, key: string) => {
    let decoded = key;
    try {
      decoded = decodeURIComponent(key);
    } catch {
      // keep the raw key
    }
    return isSecretKey(decoded) ? `${sep}${key}=${REDACTED}` : m;
  });
  return out;
}

/** Secret values found in a driver config object (top level and one nested level, e.g. `ssl.key`). */
export function secretsOf(config: Record<string, unknown>): string[] {
  const found: string[] = [];
  const visit = (obj: Record<string, unknown>, depth: number): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string' && isSecretKey(k)) found.push(v);
      else if (depth < 2 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        visit(v as Record<string, unknown>, depth + 1);
      }
    }
  };
  visit(config, 0);
  return found;
}
