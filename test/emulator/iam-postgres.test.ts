/**
 * The emulator's `iam: true` on PostgreSQL, with the real `@aws-sdk/rds-signer` and the real
 * `pg`: a good token logs the IAM user in on every instance and every endpoint name; tokens for
 * another cluster's name, an IP address, the wrong port, the wrong DBUser, expired ones and
 * badly signed ones are refused with PostgreSQL's own authentication error, as are the IAM
 * user's password and any login without TLS; the test user's password logins keep working.
 */
import { inspect } from 'node:util';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseEmulatorFlags } from '../../src/cli/emulator-flags.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import type { BackendInstance } from '../../src/emulator/engine.js';
import { withAdmin } from '../../src/emulator/postgres/pg-admin.js';
import { pgConfig, startTestCluster, useCluster } from '../support/cluster.js';
import { otherSecret } from '../support/wrong-secret.js';

/** Short, so the expiry test waits little; every good login signs just before it connects. */
const TTL_MS = 3000;

const cluster = useCluster({ engine: 'postgres', instances: 2, tls: true, iam: true, iamTokenTtlMs: TTL_MS });

interface SignFor {
  hostname?: string;
  port?: number;
  username?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
}

async function token(c: EmulatedCluster, signFor: SignFor = {}): Promise<string> {
  const aws = c.aws!;
  const signer = new Signer({
    hostname: signFor.hostname ?? c.writerEndpoint.host,
    port: signFor.port ?? c.writerEndpoint.port,
    username: signFor.username ?? c.iamUser!,
    region: signFor.region ?? aws.region,
    credentials: signFor.credentials ?? {
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey,
    },
  });
  return signer.getAuthToken();
}

/** Log in as the IAM user on `host` with `password`; resolves to the session's user and instance. */
async function iamLogin(
  c: EmulatedCluster,
  host: string,
  password: string,
  ssl: pg.ClientConfig['ssl'] = { ca: c.tls!.ca },
): Promise<{ user: string; instance: string }> {
  const client = new pg.Client({ ...pgConfig(c, host), user: c.iamUser!, password, ssl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = await client.query<{ user: string; instance: string }>(
      "SELECT current_user AS user, current_setting('aurora_ha.instance_id') AS instance",
    );
    return r.rows[0]!;
  } finally {
    await client.end();
  }
}

async function refusal(p: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    return { code: e.code, message: String(e.message) };
  }
  throw new Error('expected the login to be refused');
}

const AUTH_ERRORS = ['28P01', '28000'];

describe('emulator iam: true (PostgreSQL)', () => {
  it('iam without tls is a ConfigurationError naming iam; iamTokenTtlMs without iam names iamTokenTtlMs', async () => {
    const noTls = await startTestCluster({ engine: 'postgres', iam: true }).catch((e: unknown) => e);
    expect(noTls).toBeInstanceOf(ConfigurationError);
    expect((noTls as ConfigurationError).option).toBe('iam');
    const noIam = await startTestCluster({ engine: 'postgres', tls: true, iamTokenTtlMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(noIam).toBeInstanceOf(ConfigurationError);
    expect((noIam as ConfigurationError).option).toBe('iamTokenTtlMs');
  });

  it('the CLI flags --iam, --iam-token-ttl-ms, --iam-logins-per-second map to the options', () => {
    expect(
      parseEmulatorFlags(['--tls', '--iam', '--iam-token-ttl-ms', '5000', '--iam-logins-per-second=200'])
        .options,
    ).toEqual({ engine: 'postgres', tls: true, iam: true, iamTokenTtlMs: 5000, iamLoginsPerSecond: 200 });
    expect(() => parseEmulatorFlags(['--iam-token-ttl-ms', '900001'])).toThrow(ConfigurationError);
  });

  it('exposes the IAM user and the test AWS account, the secret key hidden from util.inspect', () => {
    const c = cluster();
    expect(c.iamUser).toMatch(/^[a-z_]+$/);
    expect(c.aws?.region).toBe('us-east-1');
    expect(c.aws?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(c.aws?.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(inspect(c, { depth: 10 })).not.toContain(c.aws!.secretAccessKey);
    expect(inspect(c.aws)).not.toContain(c.aws!.secretAccessKey);
    expect(JSON.stringify(c.aws)).not.toContain(c.aws!.secretAccessKey);
  });

  it('a good token logs in on every instance and every endpoint name', async () => {
    const c = cluster();
    const before = c.iamStats().accepted;
    const names = [c.writerEndpoint.host, c.readerEndpoint.host, ...c.instances().map((i) => i.host)];
    for (const host of names) {
      const who = await iamLogin(c, host, await token(c, { hostname: host }));
      expect(who.user).toBe(c.iamUser);
    }
    // a token for the cluster endpoint also logs in on an instance (any name of the cluster)
    for (const i of c.instances()) {
      const who = await iamLogin(c, i.host, await token(c));
      expect(who.instance).toBe(i.id);
    }
    expect(c.iamStats().accepted - before).toBe(names.length + c.instances().length);
  });

  it('a reader added later, and a writer after a failover, log the IAM user in', async () => {
    const c = cluster();
    const added = await c.addReader();
    expect((await iamLogin(c, added.host, await token(c, { hostname: added.host }))).instance).toBe(added.id);
    const { newWriter } = await c.failover();
    await c.settled();
    const host = c.writerEndpoint.host;
    // the cluster endpoint follows the new writer (dnsLagMs 0)
    expect((await iamLogin(c, host, await token(c))).instance).toBe(newWriter);
    for (const i of c.instances()) expect((await iamLogin(c, i.host, await token(c))).instance).toBe(i.id);
  });

  it('the IAM user can do what the test user can in the test database', async () => {
    const c = cluster();
    const client = new pg.Client({ ...pgConfig(c), user: c.iamUser!, password: await token(c) });
    await client.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS iam_probe (n int)');
      await client.query('INSERT INTO iam_probe VALUES (1)');
      const r = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM iam_probe');
      expect(r.rows[0]!.n).toBeGreaterThan(0);
      await client.query('DROP TABLE iam_probe');
    } finally {
      await client.end();
    }
  });

  it('refuses a token for another cluster, an IP address, the wrong port, the wrong DBUser', async () => {
    const c = cluster();
    const host = c.writerEndpoint.host;
    const writer = c.instances().find((i) => i.role === 'writer')!;
    const before = c.iamStats().refused;
    const cases: [string, SignFor][] = [
      ['another cluster', { hostname: host.replace(/cluster-[a-z0-9]+\./, 'cluster-zzzzzzzzzzzz.') }],
      ['an IP address', { hostname: writer.address }],
      ['the wrong port', { port: c.writerEndpoint.port + 1 }],
      ['the wrong DBUser', { username: c.credentials.user }],
    ];
    for (const [what, signFor] of cases) {
      const r = await refusal(iamLogin(c, host, await token(c, signFor)));
      expect(AUTH_ERRORS, what).toContain(r.code);
    }
    const after = c.iamStats().refused;
    expect((after['wrong-host'] ?? 0) - (before['wrong-host'] ?? 0)).toBe(2);
    expect((after['wrong-port'] ?? 0) - (before['wrong-port'] ?? 0)).toBe(1);
    expect((after['wrong-user'] ?? 0) - (before['wrong-user'] ?? 0)).toBe(1);
  });

  it('refuses badly signed tokens: a wrong secret key, an unknown access key, a tampered signature', async () => {
    const c = cluster();
    const aws = c.aws!;
    const wrongSecret = await token(c, {
      credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: otherSecret(aws.secretAccessKey) },
    });
    const unknownKey = await token(c, {
      credentials: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: aws.secretAccessKey },
    });
    const good = await token(c);
    const tampered = good.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, d: string) => `X-Amz-Signature=${d === '0' ? '1' : '0'}`,
    );
    expect(tampered).not.toBe(good);
    const before = c.iamStats().refusedTotal;
    for (const bad of [wrongSecret, unknownKey, tampered]) {
      const r = await refusal(iamLogin(c, c.writerEndpoint.host, bad));
      expect(AUTH_ERRORS).toContain(r.code);
      expect(r.message).not.toContain('X-Amz');
    }
    expect(c.iamStats().refusedTotal - before).toBe(3);
  });

  it('refuses an expired token (iamTokenTtlMs)', async () => {
    const c = cluster();
    const t = await token(c);
    await new Promise((r) => setTimeout(r, TTL_MS + 500));
    const before = c.iamStats().refused.expired ?? 0;
    const r = await refusal(iamLogin(c, c.writerEndpoint.host, t));
    expect(AUTH_ERRORS).toContain(r.code);
    expect((c.iamStats().refused.expired ?? 0) - before).toBe(1);
  });

  it("refuses a good token without TLS, and the IAM user's real password with or without TLS", async () => {
    const c = cluster();
    const r = await refusal(iamLogin(c, c.writerEndpoint.host, await token(c), false));
    expect(AUTH_ERRORS).toContain(r.code);
    // give the IAM role a real password (as the admin would on RDS) and try it
    const writer = c.instances().find((i) => i.role === 'writer')!;
    const nodes = (c as unknown as { nodes: Map<string, { inst: BackendInstance }> }).nodes;
    const inst = nodes.get(writer.id)!.inst;
    const password = 'a-real-password-1';
    await withAdmin(inst.dir, inst.port, 'postgres', (a) =>
      a.query(`ALTER ROLE ${JSON.stringify(c.iamUser)} PASSWORD '${password}'`),
    );
    try {
      for (const host of [c.writerEndpoint.host, ...c.instances().map((i) => i.host)]) {
        expect(AUTH_ERRORS).toContain((await refusal(iamLogin(c, host, password))).code);
        expect(AUTH_ERRORS).toContain((await refusal(iamLogin(c, host, password, false))).code);
      }
    } finally {
      await withAdmin(inst.dir, inst.port, 'postgres', (a) =>
        a.query(`ALTER ROLE ${JSON.stringify(c.iamUser)} PASSWORD NULL`),
      );
    }
  });

  it("the test user's password logins keep working, and its password is no IAM token", async () => {
    const c = cluster();
    for (const host of [c.writerEndpoint.host, c.readerEndpoint.host]) {
      const client = new pg.Client(pgConfig(c, host));
      await client.connect();
      const r = await client.query<{ u: string }>('SELECT current_user AS u');
      expect(r.rows[0]!.u).toBe(c.credentials.user);
      await client.end();
    }
    const asTest = new pg.Client({
      ...pgConfig(c),
      password: await token(c, { username: c.credentials.user }),
    });
    asTest.on('error', () => undefined);
    expect(AUTH_ERRORS).toContain((await refusal(asTest.connect())).code);
  });
});
