/**
 * Verifies an RDS IAM authentication token the way RDS does, for the emulator's test account:
 * a SigV4-presigned `host:port/?Action=connect&DBUser=…` (no scheme, service `rds-db`, only the
 * host header signed) for one of the cluster's names, its port and the login's user, within
 * X-Amz-Expires (at most 900 s) and the emulator's own lifetime cap. Never throws; a refusal's
 * detail never contains the token, its signature or a key.
 */
import { isIP } from 'node:net';
import { verifyPresigned } from './sigv4.js';
import type { TestAwsAccount } from './test-account.js';

export interface IamTokenExpectation {
  /** Every name the token may be signed for (instance, cluster, reader and custom endpoint names of this cluster); compared case-insensitively. */
  readonly hostNames: readonly string[];
  readonly port: number;
  /** The database user the login is for (DBUser). */
  readonly user: string;
  readonly account: TestAwsAccount;
  /** The emulator's own lifetime cap (`iamTokenTtlMs`), on top of X-Amz-Expires (<= 900 s). */
  readonly maxAgeMs?: number;
  readonly now?: number;
}

export type IamTokenRefusal =
  | 'malformed'
  | 'wrong-host'
  | 'wrong-port'
  | 'wrong-user'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-key'
  | 'bad-signature'
  | 'wrong-service'
  | 'wrong-region';

export type IamTokenVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: IamTokenRefusal; readonly detail: string };

export const IAM_TOKEN_SERVICE = 'rds-db';
/** RDS IAM tokens live 15 minutes; a longer X-Amz-Expires counts as 900 s. */
export const IAM_TOKEN_MAX_EXPIRES_S = 900;
/** Longer than any token the SDK makes (~600–2,000 characters); refused unread beyond. */
export const IAM_TOKEN_MAX_LENGTH = 8192;

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;
const PORT = /^[1-9]\d{0,4}$/;

function refuse(reason: IamTokenRefusal, detail: string): IamTokenVerdict {
  return { ok: false, reason, detail };
}

/** Verify an RDS IAM auth token (a SigV4 presigned `host:port/?Action=connect&DBUser=…` URL without scheme, service rds-db). Never throws. */
export function verifyIamToken(token: string, expect: IamTokenExpectation): IamTokenVerdict {
  try {
    return verify(token, expect);
  } catch {
    return refuse('malformed', 'the token could not be read');
  }
}

function verify(token: string, expect: IamTokenExpectation): IamTokenVerdict {
  if (typeof token !== 'string' || token.length === 0) return refuse('malformed', 'the token is empty');
  if (token.length > IAM_TOKEN_MAX_LENGTH) {
    return refuse('malformed', `the token is longer than ${IAM_TOKEN_MAX_LENGTH} characters`);
  }
  const slash = token.indexOf('/');
  if (slash < 0 || token.slice(slash, slash + 2) !== '/?') {
    return refuse('malformed', 'the token is not <host>:<port>/?<query>');
  }
  const authority = token.slice(0, slash);
  const rawQuery = token.slice(slash + 2);
  const colon = authority.lastIndexOf(':');
  if (colon <= 0) return refuse('malformed', 'the token has no <host>:<port>');
  let host = authority.slice(0, colon);
  const portText = authority.slice(colon + 1);
  if (!PORT.test(portText) || Number(portText) > 65_535)
    return refuse('malformed', "the token's port is not a port number");
  const bracketed = host.startsWith('[') && host.endsWith(']');
  if (bracketed) host = host.slice(1, -1);
  const ip = isIP(host) !== 0;
  if (!ip && !HOST_NAME.test(host)) return refuse('malformed', "the token's host is not a host name");
  if (bracketed && isIP(host) !== 6) return refuse('malformed', "the token's host is not a host name");

  const verdict = verifyPresigned(
    { method: 'GET', wirePath: '/', rawQuery, headers: { host: authority } },
    {
      key: expect.account,
      service: IAM_TOKEN_SERVICE,
      maxExpiresS: IAM_TOKEN_MAX_EXPIRES_S,
      ...(expect.maxAgeMs !== undefined ? { maxAgeMs: expect.maxAgeMs } : {}),
      ...(expect.now !== undefined ? { now: expect.now } : {}),
    },
  );
  if (!verdict.ok) return refuse(verdict.reason, verdict.detail);

  const params = verdict.value.params;
  if (params.get('Action') !== 'connect') return refuse('malformed', 'the token is not for Action=connect');
  const dbUser = params.get('DBUser');
  if (dbUser === undefined || dbUser === '') return refuse('malformed', 'the token has no DBUser');
  for (const k of params.keys()) {
    if (k !== 'Action' && k !== 'DBUser')
      return refuse('malformed', `the token has an unexpected parameter ${k.slice(0, 40)}`);
  }
  if (ip)
    return refuse('wrong-host', `the token is signed for an IP address (${host}), not an endpoint name`);
  const wanted = host.toLowerCase();
  if (!expect.hostNames.some((n) => n.toLowerCase() === wanted)) {
    return refuse('wrong-host', `the token is signed for ${host}, which is not a name of this cluster`);
  }
  if (Number(portText) !== expect.port) {
    return refuse(
      'wrong-port',
      `the token is signed for port ${portText}, the login is on port ${expect.port}`,
    );
  }
  if (dbUser !== expect.user) {
    return refuse('wrong-user', `the token is for another database user than ${expect.user}`);
  }
  return { ok: true };
}
