/**
 * AWS Signature Version 4 on node:crypto alone (the emulator ships in a package without runtime
 * dependencies): canonical request, string to sign, signing key, and the verification of both
 * forms a request is signed in — the `Authorization` header and the presigned query
 * (`X-Amz-Signature`, as in an RDS IAM token). Verification never throws and its refusals carry
 * no key, signature or token.
 *
 * Strictness beyond AWS's: a presigned query must be in canonical encoding (each key and value
 * exactly as SigV4 escapes it), so no two spellings of one token are both accepted.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's X-Amz-Date may be from the server's clock (AWS: 5 minutes). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** SigV4's own cap on X-Amz-Expires (7 days). */
export const MAX_PRESIGN_EXPIRES_S = 604_800;

export interface SigV4Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

export type SigV4Refusal =
  | 'malformed'
  | 'wrong-key'
  | 'bad-signature'
  | 'wrong-service'
  | 'wrong-region'
  | 'expired'
  | 'not-yet-valid';

export type SigV4Verdict<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: SigV4Refusal; readonly detail: string };

type HeaderValue = string | readonly string[] | undefined;
export type HeaderBag = Readonly<Record<string, HeaderValue>>;

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** kSigning = HMAC chain over date (YYYYMMDD), region, service, "aws4_request". */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** RFC 3986 escaping as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ percent-encoded, upper-case hex. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonical URI of a path as it came on the wire: dot segments removed, each segment escaped once more. */
export function canonicalPath(wirePath: string): string {
  if (wirePath === '' || wirePath === '/') return '/';
  const out: string[] = [];
  for (const segment of wirePath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const joined = `/${out.join('/')}${wirePath.endsWith('/') && out.length > 0 ? '/' : ''}`;
  return escapeUri(joined).replace(/%2F/g, '/');
}

/** Sorted `key=value` pairs, both escaped; the signature parameter left out. */
export function canonicalQuery(params: readonly (readonly [string, string])[]): string {
  return params
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  const parts = typeof value === 'string' ? [value] : value;
  return parts.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

function lowerCaseHeaders(headers: HeaderBag): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const v = headerValue(value);
    if (v !== undefined) out.set(name.toLowerCase(), v);
  }
  return out;
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly wirePath: string;
  readonly query: readonly (readonly [string, string])[];
  /** Lower-case header name → value, for the signed headers only. */
  readonly headers: ReadonlyMap<string, string>;
  /** Sorted lower-case names. */
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}

export function canonicalRequest(p: CanonicalRequestParts): string {
  const canonicalHeaders = p.signedHeaders.map((h) => `${h}:${p.headers.get(h) ?? ''}\n`).join('');
  return [
    p.method.toUpperCase(),
    canonicalPath(p.wirePath),
    canonicalQuery(p.query),
    canonicalHeaders,
    p.signedHeaders.join(';'),
    p.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonicalRequestText)].join('\n');
}

export function signature(
  secretAccessKey: string,
  scope: CredentialScope,
  amzDate: string,
  canonicalRequestText: string,
): string {
  const key = signingKey(secretAccessKey, scope.date, scope.region, scope.service);
  return createHmac('sha256', key)
    .update(stringToSign(amzDate, scopeString(scope), canonicalRequestText), 'utf8')
    .digest('hex');
}

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

function scopeString(s: CredentialScope): string {
  return `${s.date}/${s.region}/${s.service}/aws4_request`;
}

type Refused = { readonly ok: false; readonly reason: SigV4Refusal; readonly detail: string };

function refuse(reason: SigV4Refusal, detail: string): Refused {
  return { ok: false, reason, detail };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch of a `YYYYMMDDTHHMMSSZ` date, or undefined when it is not one. */
export function parseAmzDate(amzDate: string): number | undefined {
  const m = AMZ_DATE.exec(amzDate);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject dates that Date.UTC silently normalised (month 13, 31 February, hour 24).
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  if (back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s) return undefined;
  return ms;
}

/** `YYYYMMDDTHHMMSSZ` of a time. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Checks `AKID/YYYYMMDD/region/service/aws4_request` against the key and the expected service. */
function checkScope(
  credential: string,
  amzDate: string,
  key: SigV4Key,
  service: string,
): CredentialScope | Refused {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    return refuse('malformed', 'the credential is not <access key>/<date>/<region>/<service>/aws4_request');
  }
  const [accessKeyId, date, region, svc] = parts as [string, string, string, string, string];
  if (date !== amzDate.slice(0, 8))
    return refuse('malformed', "the credential's date is not X-Amz-Date's date");
  if (accessKeyId !== key.accessKeyId) {
    return refuse('wrong-key', 'the access key id is not the one this endpoint knows');
  }
  if (svc !== service)
    return refuse('wrong-service', `signed for service '${svc.slice(0, 40)}', expected '${service}'`);
  if (region !== key.region) {
    return refuse('wrong-region', `signed for region '${region.slice(0, 40)}', expected '${key.region}'`);
  }
  return { accessKeyId, date, region, service: svc };
}

function isRefused(x: unknown): x is Refused {
  return typeof x === 'object' && x !== null && (x as { ok?: unknown }).ok === false;
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const EMPTY_SHA256 = sha256Hex('');
const HEX64 = /^[0-9a-f]{64}$/;
const SIGNED_HEADERS = /^[a-z0-9!#$%&'*+.^_`|~-]+(;[a-z0-9!#$%&'*+.^_`|~-]+)*$/;

function checkSignedHeaderList(
  list: string,
  headers: ReadonlyMap<string, string>,
): readonly string[] | Refused {
  if (!SIGNED_HEADERS.test(list))
    return refuse('malformed', 'SignedHeaders is not a ;-separated list of header names');
  const names = list.split(';');
  for (let i = 1; i < names.length; i++) {
    if ((names[i - 1] as string) >= (names[i] as string)) {
      return refuse('malformed', 'SignedHeaders is not sorted or repeats a name');
    }
  }
  if (!names.includes('host')) return refuse('malformed', 'the host header is not signed');
  for (const n of names) {
    if (!headers.has(n)) return refuse('malformed', `signed header '${n.slice(0, 40)}' is missing`);
  }
  return names;
}

function checkClock(
  signedAt: number,
  now: number,
  maxSkewMs: number,
  lifetimeMs: number,
): Refused | undefined {
  if (signedAt - now > maxSkewMs) {
    return refuse('not-yet-valid', `signed ${Math.round((signedAt - now) / 1000)} s in the future`);
  }
  if (now - signedAt >= lifetimeMs) {
    return refuse(
      'expired',
      `signed ${Math.round((now - signedAt) / 1000)} s ago, valid for ${Math.round(lifetimeMs / 1000)} s`,
    );
  }
  return undefined;
}

/** A query string split into decoded pairs, refusing anything not in canonical encoding. */
export function parseCanonicalQuery(raw: string): readonly (readonly [string, string])[] | Refused {
  if (raw === '') return [];
  const out: [string, string][] = [];
  for (const piece of raw.split('&')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) return refuse('malformed', 'a query parameter has no name or no =');
    const rawKey = piece.slice(0, eq);
    const rawValue = piece.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
      value = decodeURIComponent(rawValue);
    } catch {
      return refuse('malformed', 'a query parameter is not valid percent-encoding');
    }
    if (escapeUri(key) !== rawKey || escapeUri(value) !== rawValue) {
      return refuse('malformed', 'a query parameter is not in SigV4 canonical encoding');
    }
    out.push([key, value]);
  }
  return out;
}

export interface PresignedRequest {
  readonly method: string;
  readonly wirePath: string;
  /** The raw query string (after `?`), as sent. */
  readonly rawQuery: string;
  readonly headers: HeaderBag;
  /** The body's SHA-256 in hex; the SDKs presign a request without body with the empty string's. */
  readonly payloadHash?: string;
}

export interface PresignedExpectation {
  readonly key: SigV4Key;
  readonly service: string;
  readonly now?: number;
  readonly maxClockSkewMs?: number;
  /** Cap on X-Amz-Expires, seconds (a longer one counts as this long). */
  readonly maxExpiresS?: number;
  /** Cap on the age of the signature, on top of X-Amz-Expires. */
  readonly maxAgeMs?: number;
}

export interface PresignedFacts {
  /** Every query parameter but the SigV4 ones, decoded. */
  readonly params: ReadonlyMap<string, string>;
  readonly signedAt: number;
}

const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
] as const;

/** Verifies a presigned (query-signed) request. Never throws. */
export function verifyPresigned(
  req: PresignedRequest,
  expect: PresignedExpectation,
): SigV4Verdict<PresignedFacts> {
  try {
    return verifyPresignedUnsafe(req, expect);
  } catch {
    return refuse('malformed', 'the request could not be read');
  }
}

function verifyPresignedUnsafe(
  req: PresignedRequest,
  expect: PresignedExpectation,
): SigV4Verdict<PresignedFacts> {
  const query = parseCanonicalQuery(req.rawQuery);
  if (isRefused(query)) return query;
  const all = new Map<string, string>();
  for (const [k, v] of query) {
    if (all.has(k)) return refuse('malformed', `query parameter ${k.slice(0, 40)} appears twice`);
    all.set(k, v);
  }
  for (const p of PRESIGN_PARAMS) {
    if (!all.has(p)) return refuse('malformed', `${p} is missing`);
  }
  const get = (p: (typeof PRESIGN_PARAMS)[number]): string => all.get(p) as string;
  if (get('X-Amz-Algorithm') !== SIGV4_ALGORITHM)
    return refuse('malformed', `X-Amz-Algorithm is not ${SIGV4_ALGORITHM}`);
  const amzDate = get('X-Amz-Date');
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return refuse('malformed', 'X-Amz-Date is not YYYYMMDDTHHMMSSZ');
  const expiresText = get('X-Amz-Expires');
  if (!/^[1-9]\d{0,6}$/.test(expiresText) || Number(expiresText) > MAX_PRESIGN_EXPIRES_S) {
    return refuse(
      'malformed',
      `X-Amz-Expires is not a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_S}`,
    );
  }
  const givenSignature = get('X-Amz-Signature');
  if (!HEX64.test(givenSignature))
    return refuse('malformed', 'X-Amz-Signature is not 64 lower-case hex digits');
  const scope = checkScope(get('X-Amz-Credential'), amzDate, expect.key, expect.service);
  if (isRefused(scope)) return scope;
  const headers = lowerCaseHeaders(req.headers);
  const signedHeaders = checkSignedHeaderList(get('X-Amz-SignedHeaders'), headers);
  if (isRefused(signedHeaders)) return signedHeaders;

  const text = canonicalRequest({
    method: req.method,
    wirePath: req.wirePath,
    query,
    headers,
    signedHeaders,
    payloadHash: req.payloadHash ?? EMPTY_SHA256,
  });
  const expected = signature(expect.key.secretAccessKey, scope, amzDate, text);
  if (!sameSignature(expected, givenSignature)) {
    return refuse('bad-signature', 'the signature does not match the request and the secret key');
  }

  const expiresS = Math.min(Number(expiresText), expect.maxExpiresS ?? MAX_PRESIGN_EXPIRES_S);
  const lifetimeMs = Math.min(expiresS * 1000, expect.maxAgeMs ?? Number.POSITIVE_INFINITY);
  const late = checkClock(
    signedAt,
    expect.now ?? Date.now(),
    expect.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
    lifetimeMs,
  );
  if (late !== undefined) return late;

  const params = new Map(all);
  for (const p of PRESIGN_PARAMS) params.delete(p);
  params.delete('X-Amz-Security-Token');
  return { ok: true, value: { params, signedAt } };
}

export interface HeaderSignedRequest {
  readonly method: string;
  /** Path and query as sent (`/`, `/a/b?x=1`). */
  readonly url: string;
  readonly headers: HeaderBag;
  readonly body: Uint8Array;
}

export interface HeaderSignedExpectation {
  readonly key: SigV4Key;
  readonly service: string;
  readonly now?: number;
  readonly maxClockSkewMs?: number;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([^,\s]+)$/;

/** Verifies a request signed in its `Authorization` header. Never throws. */
export function verifyHeaderSigned(
  req: HeaderSignedRequest,
  expect: HeaderSignedExpectation,
): SigV4Verdict<CredentialScope> {
  try {
    return verifyHeaderSignedUnsafe(req, expect);
  } catch {
    return refuse('malformed', 'the request could not be read');
  }
}

function verifyHeaderSignedUnsafe(
  req: HeaderSignedRequest,
  expect: HeaderSignedExpectation,
): SigV4Verdict<CredentialScope> {
  const headers = lowerCaseHeaders(req.headers);
  const authorization = headers.get('authorization');
  if (authorization === undefined) return refuse('malformed', 'the Authorization header is missing');
  const m = AUTHORIZATION.exec(authorization);
  if (m === null)
    return refuse(
      'malformed',
      'the Authorization header is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…',
    );
  const [, credential, signedHeaderList, givenSignature] = m as unknown as [string, string, string, string];
  if (!HEX64.test(givenSignature))
    return refuse('malformed', 'the signature is not 64 lower-case hex digits');
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined) return refuse('malformed', 'the X-Amz-Date header is missing');
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return refuse('malformed', 'X-Amz-Date is not YYYYMMDDTHHMMSSZ');
  const scope = checkScope(credential, amzDate, expect.key, expect.service);
  if (isRefused(scope)) return scope;
  const signedHeaders = checkSignedHeaderList(signedHeaderList, headers);
  if (isRefused(signedHeaders)) return signedHeaders;

  const q = req.url.indexOf('?');
  const wirePath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const query: [string, string][] = [];
  if (rawQuery !== '') {
    for (const piece of rawQuery.split('&')) {
      const eq = piece.indexOf('=');
      const k = eq < 0 ? piece : piece.slice(0, eq);
      const v = eq < 0 ? '' : piece.slice(eq + 1);
      try {
        query.push([decodeURIComponent(k), decodeURIComponent(v)]);
      } catch {
        return refuse('malformed', 'a query parameter is not valid percent-encoding');
      }
    }
  }
  const declared = headers.get('x-amz-content-sha256');
  const payloadHash = declared === 'UNSIGNED-PAYLOAD' ? declared : sha256Hex(req.body);
  if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== payloadHash) {
    return refuse('bad-signature', 'X-Amz-Content-Sha256 does not match the body');
  }
  const text = canonicalRequest({ method: req.method, wirePath, query, headers, signedHeaders, payloadHash });
  const expected = signature(expect.key.secretAccessKey, scope, amzDate, text);
  if (!sameSignature(expected, givenSignature)) {
    return refuse('bad-signature', 'the signature does not match the request and the secret key');
  }
  const now = expect.now ?? Date.now();
  const skew = expect.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  // A header-signed request is valid within the skew bound on either side of the server's clock.
  const late = checkClock(signedAt, now, skew, skew);
  if (late !== undefined) return late;
  return { ok: true, value: scope };
}
