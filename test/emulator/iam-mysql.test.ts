/**
 * The emulator's `iam: true` on Aurora MySQL, end to end: the metadata proxy of every instance
 * checks the IAM user's token with the cluster's IAM gate (real `@aws-sdk/rds-signer`, real
 * `mysql2` with the cleartext plugin over TLS); a good token logs in on every instance and
 * endpoint name, bad ones (another cluster, an IP address, wrong port, wrong DBUser, expired,
 * badly signed) are refused with MariaDB's ERR 1045, as is a login without TLS; the test user's
 * password logins keep working; iam on a MySQL flavour without the proxy is a ConfigurationError.
 */
import { Signer } from '@aws-sdk/rds-signer';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { mysqlConfig, startTestCluster, useCluster } from '../support/cluster.js';
import { otherSecret } from '../support/wrong-secret.js';

const TTL_MS = 3000;

const cluster = useCluster({ engine: 'mysql', instances: 2, tls: true, iam: true, iamTokenTtlMs: TTL_MS });

interface SignFor {
  hostname?: string;
  port?: number;
  username?: string;
  secretAccessKey?: string;
}

function token(c: EmulatedCluster, signFor: SignFor = {}): Promise<string> {
  const aws = c.aws!;
  return new Signer({
    hostname: signFor.hostname ?? c.writerEndpoint.host,
    port: signFor.port ?? c.writerEndpoint.port,
    username: signFor.username ?? c.iamUser!,
    region: aws.region,
    credentials: {
      accessKeyId: aws.accessKeyId,
      secretAccessKey: signFor.secretAccessKey ?? aws.secretAccessKey,
    },
  }).getAuthToken();
}

/** Log in as the IAM user on `host`; resolves to the instance (`@@aurora_server_id`). */
async function iamLogin(c: EmulatedCluster, host: string, password: string, tls = true): Promise<string> {
  const config: mysql.ConnectionOptions = {
    ...mysqlConfig(c, host),
    user: c.iamUser!,
    password,
    enableCleartextPlugin: true,
  };
  if (!tls) delete config.ssl;
  const conn = await mysql.createConnection(config);
  try {
    const [rows] = (await conn.query('SELECT @@aurora_server_id AS id')) as [{ id: unknown }[], unknown];
    return String(rows[0]!.id);
  } finally {
    await conn.end();
  }
}

/** As the IAM user on `host`: the topology Aurora MySQL answers (what failover reads). */
async function iamTopology(c: EmulatedCluster, host: string, password: string): Promise<unknown[]> {
  const conn = await mysql.createConnection({
    ...mysqlConfig(c, host),
    user: c.iamUser!,
    password,
    enableCleartextPlugin: true,
  });
  try {
    const [rows] = (await conn.query(
      'SELECT server_id, session_id FROM information_schema.replica_host_status',
    )) as [unknown[], unknown];
    return rows;
  } finally {
    await conn.end();
  }
}

async function refusal(p: Promise<unknown>): Promise<{ errno: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { errno?: unknown; message?: string };
    return { errno: e.errno, message: String(e.message) };
  }
  throw new Error('expected the login to be refused');
}

describe('emulator iam: true (Aurora MySQL)', () => {
  it('iam with a MySQL flavour that has no metadata proxy is a ConfigurationError naming iam', async () => {
    const err = await startTestCluster({ engine: 'mysql', flavor: 'multi-az', tls: true, iam: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('iam');
  });

  it('a good token logs in on every instance and every endpoint name', async () => {
    const c = cluster();
    const before = c.iamStats().accepted;
    const names = [c.writerEndpoint.host, c.readerEndpoint.host, ...c.instances().map((i) => i.host)];
    for (const host of names) await iamLogin(c, host, await token(c, { hostname: host }));
    for (const i of c.instances()) expect(await iamLogin(c, i.host, await token(c))).toBe(i.id);
    expect(c.iamStats().accepted - before).toBe(names.length + c.instances().length);
  });

  it('the IAM user reads the topology on every instance, as failover does (the soak found it refused)', async () => {
    const c = cluster();
    for (const i of c.instances()) {
      const rows = await iamTopology(c, i.host, await token(c, { hostname: i.host }));
      expect(rows.length).toBe(c.instances().length);
    }
  });

  it('refuses tokens for another cluster, an IP address, the wrong port, the wrong DBUser, badly signed, expired, and plain logins', async () => {
    const c = cluster();
    const host = c.writerEndpoint.host;
    const writer = c.instances().find((i) => i.role === 'writer')!;
    const before = c.iamStats().refusedTotal;
    const cases: SignFor[] = [
      { hostname: host.replace(/cluster-[a-z0-9]+\./, 'cluster-zzzzzzzzzzzz.') },
      { hostname: writer.address },
      { port: c.writerEndpoint.port + 1 },
      { username: c.credentials.user },
      { secretAccessKey: otherSecret(c.aws!.secretAccessKey) },
    ];
    for (const signFor of cases) {
      const r = await refusal(iamLogin(c, host, await token(c, signFor)));
      expect(r.errno).toBe(1045);
      expect(r.message).not.toContain('X-Amz');
    }
    const old = await token(c);
    await new Promise((r) => setTimeout(r, TTL_MS + 500));
    expect((await refusal(iamLogin(c, host, old))).errno).toBe(1045);
    expect(c.iamStats().refusedTotal - before).toBe(cases.length + 1);
    expect(c.iamStats().refused.expired).toBe(1);
    // without TLS: never reaches the gate, refused all the same
    expect((await refusal(iamLogin(c, host, await token(c), false))).errno).toBe(1045);
  });

  it("the test user's password logins keep working", async () => {
    const c = cluster();
    const conn = await mysql.createConnection(mysqlConfig(c));
    const [rows] = (await conn.query('SELECT CURRENT_USER() AS u')) as [{ u: string }[], unknown];
    expect(rows[0]!.u.startsWith(c.credentials.user)).toBe(true);
    await conn.end();
  });
});
