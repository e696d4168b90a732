/**
 * The emulator's `tls: true`: a throw-away CA whose server certificate verifies for every name
 * (cluster, reader, instances — a reader added later included), plain clients refused
 * (PostgreSQL hostssl-only rules, MariaDB require_secure_transport, also through the Aurora
 * MySQL metadata proxy, which terminates TLS and still rewrites Aurora's metadata SQL), and
 * the bad-certificate fault with its two kinds, undone by serveGoodCertificate.
 */
import { X509Certificate } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AuroraHaError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { mysqlConfig, pgConfig, startTestCluster } from '../support/cluster.js';

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

async function pgTls(
  c: EmulatedCluster,
  host: string,
  ssl: pg.ClientConfig['ssl'],
): Promise<{ ssl: boolean }> {
  const client = new pg.Client({ ...pgConfig(c, host), ssl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = await client.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return r.rows[0]!;
  } finally {
    await client.end();
  }
}

async function mysqlTls(
  c: EmulatedCluster,
  host: string,
  ssl: mysql.SslOptions | undefined,
): Promise<{ cipher: string; instance: string }> {
  const config: mysql.ConnectionOptions = { ...mysqlConfig(c, host) };
  if (ssl === undefined) delete config.ssl;
  else config.ssl = ssl;
  const conn = await mysql.createConnection(config);
  try {
    const [rows] = (await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as [
      { Value: string }[],
      unknown,
    ];
    const [ids] = (await conn.query(
      c.flavor === 'aurora' ? 'SELECT @@aurora_server_id AS id' : 'SELECT @@server_id AS id',
    )) as [{ id: unknown }[], unknown];
    return { cipher: rows[0]!.Value, instance: String(ids[0]!.id) };
  } finally {
    await conn.end();
  }
}

describe('emulator tls: true', () => {
  it('rejects a tls option that is not a boolean', async () => {
    await expect(startTestCluster({ engine: 'postgres', tls: 'yes' as unknown as boolean })).rejects.toThrow(
      AuroraHaError,
    );
  });

  it('PostgreSQL: every name verifies with the CA, a reader added later too; plain clients refused; bad certificates refused until restored', async () => {
    const c = await startTestCluster({ engine: 'postgres', instances: 1, tls: true });
    try {
      const ca = c.tls!.ca;
      expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(new X509Certificate(ca).ca).toBe(true);
      const added = await c.addReader();
      for (const host of [
        c.writerEndpoint.host,
        c.readerEndpoint.host,
        ...c.instances().map((i) => i.host),
      ]) {
        expect(await pgTls(c, host, { ca, rejectUnauthorized: true })).toEqual({ ssl: true });
      }
      const plain = await rejection(pgTls(c, c.writerEndpoint.host, false));
      expect(plain.code).toBe('28000'); // hostnossl ... reject
      const untrusted = await rejection(pgTls(c, c.writerEndpoint.host, { rejectUnauthorized: true }));
      expect(untrusted.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

      await c.tls!.serveBadCertificate(added.id, 'wrong-name');
      expect((await rejection(pgTls(c, added.host, { ca }))).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      await c.tls!.serveBadCertificate(added.id, 'unknown-ca');
      expect((await rejection(pgTls(c, added.host, { ca }))).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      // the other instance is untouched
      expect(await pgTls(c, c.instances()[0]!.host, { ca })).toEqual({ ssl: true });
      await c.tls!.serveGoodCertificate(added.id);
      expect(await pgTls(c, added.host, { ca })).toEqual({ ssl: true });
      await expect(c.tls!.serveBadCertificate('instance-99')).rejects.toThrow(AuroraHaError);
    } finally {
      await c.stop();
    }
  });

  for (const flavor of ['aurora', 'multi-az'] as const) {
    it(`MariaDB (${flavor}): verified TLS on every name, a reader added later too; plain clients refused; bad certificates refused until restored`, async () => {
      const c = await startTestCluster({ engine: 'mysql', flavor, instances: 1, tls: true });
      try {
        const ca = c.tls!.ca;
        const verified: mysql.SslOptions = { ca, rejectUnauthorized: true, verifyIdentity: true };
        const added = await c.addReader();
        for (const inst of c.instances()) {
          const seen = await mysqlTls(c, inst.host, verified);
          expect(seen.cipher).not.toBe('');
          // through the Aurora proxy, the metadata SQL is still rewritten (it reads the decrypted stream)
          if (flavor === 'aurora') expect(seen.instance).toBe(inst.id);
        }
        expect((await mysqlTls(c, c.readerEndpoint.host, verified)).cipher).not.toBe('');
        // require_secure_transport: MariaDB refuses a plain login as access denied
        const plain = await rejection(mysqlTls(c, c.writerEndpoint.host, undefined));
        expect(plain.errno).toBe(1045);
        const untrusted = await rejection(mysqlTls(c, c.writerEndpoint.host, { rejectUnauthorized: true }));
        expect(untrusted.code).toBe('HANDSHAKE_SSL_ERROR');

        await c.tls!.serveBadCertificate(added.id, 'wrong-name');
        expect((await rejection(mysqlTls(c, added.host, verified))).code).toBe('HANDSHAKE_SSL_ERROR');
        await c.tls!.serveGoodCertificate(added.id);
        expect((await mysqlTls(c, added.host, verified)).cipher).not.toBe('');
      } finally {
        await c.stop();
      }
    });
  }
});
