/**
 * `startCluster({ secretsManager: true })`, both engines, with the real
 * `@aws-sdk/client-secrets-manager`: the cluster's secret is read through `cluster.aws` /
 * `cluster.secret` and logs in on every instance; `rotateSecret({ windowMs })` sets the new
 * password everywhere first (the old one refused, AWSPENDING's accepted, AWSCURRENT unchanged
 * during the window), then moves AWSCURRENT; the server closes with the cluster.
 */
import { inspect } from 'node:util';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmulatorFlags } from '../../src/cli/emulator-flags.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { startCluster, type EmulatedCluster, type EmulatedEngine } from '../../src/emulator.js';
import { startTestCluster } from '../support/cluster.js';

interface SecretJson {
  username: string;
  password: string;
  engine: string;
  host: string;
  port: number;
  dbClusterIdentifier: string;
}

function sdk(c: EmulatedCluster): SecretsManagerClient {
  const aws = c.aws!;
  return new SecretsManagerClient({
    region: aws.region,
    endpoint: aws.endpoint,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    // One client for the whole file, idle for seconds between tests (failovers): its keep-alive
    // socket can be reused just as the server closes it for idleness (Node's 5 s keepAliveTimeout),
    // which the client sees as `read ECONNRESET` (seen once with a second `npm test` beside it).
    // Real endpoints close idle sockets too, and the SDK's answer is its retry of that transient
    // error: 2 attempts, as the secretsManager plugin's own client makes.
    maxAttempts: 2,
  });
}

async function readSecret(
  client: SecretsManagerClient,
  c: EmulatedCluster,
  stage?: string,
): Promise<SecretJson> {
  const out = await client.send(
    new GetSecretValueCommand({ SecretId: c.secret!.secretId, ...(stage ? { VersionStage: stage } : {}) }),
  );
  return JSON.parse(out.SecretString!) as SecretJson;
}

/** Logs in as `user` / `password` on `host` and runs one query: 'ok', or the engine's error code. */
async function login(c: EmulatedCluster, host: string, user: string, password: string): Promise<string> {
  const { database } = c.credentials;
  if (c.engine === 'postgres') {
    const client = new pg.Client({
      host,
      port: c.writerEndpoint.port,
      user,
      password,
      database,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'ok';
    } catch (err) {
      return errorCode(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  try {
    const conn = await mysql.createConnection({
      host,
      port: c.writerEndpoint.port,
      user,
      password,
      database,
      connectTimeout: 10_000,
    });
    try {
      await conn.query('SELECT 1');
      return 'ok';
    } finally {
      conn.destroy();
    }
  } catch (err) {
    return errorCode(err);
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : 'unknown error';
}

const REFUSED: Record<EmulatedEngine, string> = { postgres: '28P01', mysql: 'ER_ACCESS_DENIED_ERROR' };

describe('startCluster options for secretsManager', () => {
  it('are checked before anything starts', async () => {
    await expect(
      startCluster({ engine: 'postgres', secretsManager: 'yes' as unknown as boolean }),
    ).rejects.toThrow(ConfigurationError);
    await expect(startCluster({ engine: 'postgres', secretsManager: true, region: 'local' })).rejects.toThrow(
      /region must be an AWS region name/,
    );
    expect(parseEmulatorFlags(['--secrets-manager']).options.secretsManager).toBe(true);
  });
});

describe.each(['postgres', 'mysql'] as const)('secretsManager on %s', (engine) => {
  let cluster: EmulatedCluster;
  let client: SecretsManagerClient;
  let stopped = false;
  let failoverMs = 0;
  beforeAll(async () => {
    cluster = await startTestCluster({ engine, instances: 2, secretsManager: true });
    client = sdk(cluster);
  });
  afterAll(async () => {
    client?.destroy();
    if (!stopped) await cluster?.stop();
  });

  const hosts = (): string[] => [cluster.writerEndpoint.host, ...cluster.instances().map((i) => i.host)];

  it('serves the secret in RDS shape to the real SDK; it logs in on every instance', async () => {
    expect(cluster.aws!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.aws!.region).toBe('us-east-1');
    expect(cluster.secret!.endpoint).toBe(cluster.aws!.endpoint);
    expect(inspect(cluster.aws)).not.toContain(cluster.aws!.secretAccessKey);
    expect(JSON.stringify(cluster.aws)).not.toContain(cluster.aws!.secretAccessKey);

    const reads = cluster.secret!.reads();
    const s = await readSecret(client, cluster);
    expect(cluster.secret!.reads()).toBe(reads + 1);
    expect(s).toMatchObject({
      username: 'aurora_secret',
      engine,
      host: cluster.writerEndpoint.host,
      port: cluster.writerEndpoint.port,
      dbClusterIdentifier: 'mydb',
    });
    expect(s.password).toMatch(/^[A-Za-z0-9]{32}$/);
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: cluster.secret!.arn }));
    expect(byArn.Name).toBe(cluster.secret!.secretId);
    for (const host of hosts()) expect(await login(cluster, host, s.username, s.password), host).toBe('ok');
    expect(await login(cluster, cluster.writerEndpoint.host, s.username, 'wrong')).toBe(REFUSED[engine]);
    expect(inspect(cluster, { depth: 4 })).not.toContain(s.password);
  });

  it('rotateSecret: new password live everywhere first, AWSCURRENT moved after the window', async () => {
    const old = await readSecret(client, cluster);
    // The window must outlast the checks below; derived from how long logins take on this machine now.
    const t0 = Date.now();
    expect(await login(cluster, cluster.writerEndpoint.host, old.username, old.password)).toBe('ok');
    const oneLogin = Date.now() - t0;
    const windowMs = Math.max(3_000, oneLogin * 4 * (hosts().length + 2));

    const rotation = await cluster.rotateSecret({ windowMs });
    const pending = await readSecret(client, cluster, 'AWSPENDING');
    expect(pending.password).not.toBe(old.password);
    expect(pending.username).toBe(old.username);
    // Inside the window: AWSCURRENT still the old one, which no longer logs in anywhere.
    expect((await readSecret(client, cluster)).password).toBe(old.password);
    for (const host of hosts()) {
      expect(await login(cluster, host, old.username, old.password), host).toBe(REFUSED[engine]);
      expect(await login(cluster, host, pending.username, pending.password), host).toBe('ok');
    }
    expect(Date.now(), 'the window closed before the checks ended: widen it').toBeLessThan(
      rotation.currentAt,
    );
    await expect(cluster.rotateSecret()).rejects.toThrow(/still in its window/);
    expect(cluster.timeline().at(-1)?.kind).toBe('secret-pending');

    await rotation.completed();
    const current = await client.send(new GetSecretValueCommand({ SecretId: cluster.secret!.secretId }));
    expect(JSON.parse(current.SecretString!)).toEqual(pending);
    expect(current.VersionId).toBe(rotation.versionId);
    const previous = await readSecret(client, cluster, 'AWSPREVIOUS');
    expect(previous.password).toBe(old.password);
    const d = await client.send(new DescribeSecretCommand({ SecretId: cluster.secret!.secretId }));
    expect(d.VersionIdsToStages?.[rotation.versionId]).toEqual(['AWSCURRENT']);
    const events = cluster.timeline().filter((e) => e.kind.startsWith('secret-'));
    expect(events.map((e) => e.kind).slice(-2)).toEqual(['secret-pending', 'secret-rotated']);
    for (const e of events) {
      expect(e.detail).not.toContain(old.password);
      expect(e.detail).not.toContain(pending.password);
    }
    // The test user is untouched.
    const { user, password } = cluster.credentials;
    expect(await login(cluster, cluster.writerEndpoint.host, user, password)).toBe('ok');
  });

  it('rotateSecret options are checked at once', async () => {
    await expect(cluster.rotateSecret({ windowMs: -1 })).rejects.toThrow(ConfigurationError);
    await expect(cluster.rotateSecret({ window: 5 } as unknown as { windowMs: number })).rejects.toThrow(
      /did you mean windowMs/,
    );
  });

  it('a rotation with no window, after a failover: the new writer has the user and takes the change', async () => {
    const t0 = Date.now();
    await cluster.failover();
    await cluster.settled();
    failoverMs = Date.now() - t0;
    const rotation = await cluster.rotateSecret({ windowMs: 0 });
    await rotation.completed();
    const s = await readSecret(client, cluster);
    for (const host of [cluster.writerEndpoint.host])
      expect(await login(cluster, host, s.username, s.password)).toBe('ok');
  });

  it('a failover inside the window: the promoted writer refuses the old password, AWSCURRENT still moves', async () => {
    const old = await readSecret(client, cluster);
    // Derived from the failover just measured: the window must hold one more and a few logins.
    const rotation = await cluster.rotateSecret({ windowMs: Math.max(5_000, failoverMs * 3) });
    const pending = await readSecret(client, cluster, 'AWSPENDING');
    const { newWriter } = await cluster.failover();
    const host = cluster.instances().find((i) => i.id === newWriter)!.host;
    expect(await login(cluster, host, old.username, old.password)).toBe(REFUSED[engine]);
    expect(await login(cluster, host, pending.username, pending.password)).toBe('ok');
    expect(Date.now(), 'the window closed before the checks ended: widen it').toBeLessThan(
      rotation.currentAt,
    );
    expect((await readSecret(client, cluster)).password).toBe(old.password);
    await rotation.completed();
    expect((await readSecret(client, cluster)).password).toBe(pending.password);
    await cluster.settled();
  });

  it('stop() closes the AWS-API server', async () => {
    const endpoint = cluster.aws!.endpoint;
    stopped = true;
    await cluster.stop();
    const fresh = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(fresh.send(new GetSecretValueCommand({ SecretId: 'x' }))).rejects.toThrow(/ECONNREFUSED/);
    fresh.destroy();
  });
});
