/**
 * TLS option handling without a server: certificate errors are never network errors (pg and
 * mysql2, mysql2's overwritten code included), a user's `servername` follows the host it is
 * used for, and `tlsServerName` makes each adapter check a name while connecting to an address.
 */
import type { ClientConfig } from 'pg';
import { describe, expect, it } from 'vitest';
import {
  isCertificateError,
  markConnectionLost,
  rememberOriginalCode,
} from '../../src/drivers/connection-lost.js';
import { mysql2ConfigForHost } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { classifyMysql2Error } from '../../src/drivers/mysql2/mysql2-errors.js';
import { pgConfigForHost, sslForHost } from '../../src/drivers/pg/pg-config.js';
import { classifyPgError } from '../../src/drivers/pg/pg-errors.js';
import { makeHost } from '../../src/drivers/host-info.js';

const coded = (code: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error('x'), { code, ...extra });

describe('certificate errors', () => {
  it('are recognised by code, also as the cause of another error', () => {
    expect(isCertificateError(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toBe(true);
    expect(isCertificateError(coded('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(true);
    expect(isCertificateError(new Error('wrapped', { cause: coded('CERT_HAS_EXPIRED') }))).toBe(true);
    expect(isCertificateError(coded('ECONNRESET'))).toBe(false);
    expect(isCertificateError(undefined)).toBe(false);
  });

  it('pg: a certificate error reported through the transport path (marked lost) is not a network error', () => {
    const err = coded('SELF_SIGNED_CERT_IN_CHAIN');
    markConnectionLost(err);
    expect(classifyPgError(err)).toBe('other');
    const reset = coded('ECONNRESET');
    markConnectionLost(reset);
    expect(classifyPgError(reset)).toBe('network');
  });

  it("mysql2: HANDSHAKE_SSL_ERROR is classified by Node's original code (certificate: other; reset: network)", () => {
    const cert = coded('HANDSHAKE_SSL_ERROR', { fatal: true });
    rememberOriginalCode(cert, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(isCertificateError(cert)).toBe(true);
    expect(classifyMysql2Error(cert)).toBe('other');
    const reset = coded('HANDSHAKE_SSL_ERROR', { fatal: true });
    rememberOriginalCode(reset, 'ECONNRESET');
    expect(classifyMysql2Error(reset)).toBe('network');
  });
});

describe('servername per host (pg)', () => {
  const ssl = {
    ca: 'CA',
    servername: 'mydb.cluster-x.us-east-1.rds.amazonaws.com',
    rejectUnauthorized: true,
  };

  it('keeps it on the configured host, follows any other host, drops it for an address', () => {
    const user = 'mydb.cluster-x.us-east-1.rds.amazonaws.com';
    expect(sslForHost(ssl, user, user)).toBe(ssl);
    expect(sslForHost(ssl, user, 'instance-2.x.us-east-1.rds.amazonaws.com')).toEqual({
      ca: 'CA',
      rejectUnauthorized: true,
      servername: 'instance-2.x.us-east-1.rds.amazonaws.com',
    });
    expect(sslForHost(ssl, user, '10.0.0.7')).toEqual({ ca: 'CA', rejectUnauthorized: true });
    expect(sslForHost(true, user, '10.0.0.7')).toBe(true);
  });

  it('reads the configured host from a connection string too, and never turns verification off', () => {
    const config: ClientConfig = {
      connectionString:
        'postgres://u:p@mydb.cluster-x.us-east-1.rds.amazonaws.com:5432/db?sslmode=verify-full',
      ssl,
    };
    const same = pgConfigForHost(config, makeHost('mydb.cluster-x.us-east-1.rds.amazonaws.com', 5432));
    expect(same.ssl).toBe(ssl);
    const other = pgConfigForHost(config, makeHost('instance-3.x.us-east-1.rds.amazonaws.com', 5432));
    expect(other.ssl).toMatchObject({
      servername: 'instance-3.x.us-east-1.rds.amazonaws.com',
      rejectUnauthorized: true,
    });
    expect(other.connectionString).toContain('instance-3.x.us-east-1.rds.amazonaws.com:5432');
  });

  it('tlsServerName: an address is checked against the given name; no ssl, no change', () => {
    const byAddress = pgConfigForHost({ ssl: { ca: 'CA' } }, makeHost('10.0.0.7', 5432), 'instance-1.x');
    expect(byAddress.ssl).toEqual({ ca: 'CA', servername: 'instance-1.x' });
    expect(pgConfigForHost({ ssl: true }, makeHost('10.0.0.7', 5432), 'instance-1.x').ssl).toEqual({
      servername: 'instance-1.x',
    });
    expect(pgConfigForHost({}, makeHost('10.0.0.7', 5432), 'instance-1.x').ssl).toBeUndefined();
  });
});

describe('tlsServerName (mysql2)', () => {
  it('the name becomes the host (mysql2 checks names only for hosts), the socket goes to the address', () => {
    const config = mysql2ConfigForHost(
      { ssl: { ca: 'CA', verifyIdentity: true }, uri: 'mysql://u:p@mydb.cluster-x.example.com:3306/db' },
      makeHost('127.0.0.1', 3306),
      1000,
      'instance-1.x.example.com',
    );
    expect(config.host).toBe('instance-1.x.example.com');
    expect(new URL(config.uri!).hostname).toBe('instance-1.x.example.com');
    expect(typeof config.stream).toBe('function');
    const plain = mysql2ConfigForHost({}, makeHost('127.0.0.1', 3306), 1000, 'instance-1.x.example.com');
    expect(plain.host).toBe('127.0.0.1');
    expect(plain.stream).toBeUndefined();
  });
});
