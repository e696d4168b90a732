/**
 * The emulator's AWS-API server and Secrets Manager store with the real
 * `@aws-sdk/client-secrets-manager`: GetSecretValue / DescribeSecret, staged versions, a missing
 * secret, and each SigV4 refusal as the SDK's named exception; bounded bodies, sockets closed on
 * close(). No engine is started.
 */
import http from 'node:http';
import { inspect } from 'node:util';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsApiServer, type AwsApiServer } from '../../src/emulator/aws/aws-api-server.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, SecretsStore } from '../../src/emulator/aws/secrets-store.js';
import { createTestAwsAccount, type TestAwsAccount } from '../../src/emulator/aws/test-account.js';
import { secretLeaks } from '../support/secret-leaks.js';

const account = createTestAwsAccount('eu-west-1');
const store = new SecretsStore(account);
const FIRST = JSON.stringify({ username: 'app', password: 'first-Pa55' });
const arn = store.createSecret('emu/app', FIRST, { description: 'the app user' });
let server: AwsApiServer;

function client(
  o: { account?: TestAwsAccount; secret?: string; region?: string; endpoint?: string } = {},
): SecretsManagerClient {
  const a = o.account ?? account;
  return new SecretsManagerClient({
    region: o.region ?? a.region,
    endpoint: o.endpoint ?? server.endpoint,
    credentials: { accessKeyId: a.accessKeyId, secretAccessKey: o.secret ?? a.secretAccessKey },
    maxAttempts: 1,
  });
}

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  server = await startAwsApiServer({ account, secrets: store });
});
afterAll(async () => {
  await server.close();
});

describe('AWS-API server: Secrets Manager with the real SDK', () => {
  it('GetSecretValue by name and by ARN (full and partial) returns AWSCURRENT and counts reads', async () => {
    const c = client();
    const before = store.reads('emu/app');
    const byName = await c.send(new GetSecretValueCommand({ SecretId: 'emu/app' }));
    expect(byName.SecretString).toBe(FIRST);
    expect(byName.ARN).toBe(arn);
    expect(byName.Name).toBe('emu/app');
    expect(byName.VersionStages).toEqual([AWSCURRENT]);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect((await c.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(FIRST);
    expect((await c.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }))).SecretString).toBe(
      FIRST,
    );
    expect(store.reads('emu/app')).toBe(before + 3);
    expect(arn).toMatch(
      new RegExp(`^arn:aws:secretsmanager:eu-west-1:${account.accountId}:secret:emu/app-[A-Za-z0-9]{6}$`),
    );
    c.destroy();
  });

  it('DescribeSecret returns the metadata and the labelled versions, not the value', async () => {
    const c = client();
    const reads = store.reads('emu/app');
    const d = await c.send(new DescribeSecretCommand({ SecretId: 'emu/app' }));
    expect(d.ARN).toBe(arn);
    expect(d.Description).toBe('the app user');
    expect(Object.values(d.VersionIdsToStages ?? {})).toContainEqual([AWSCURRENT]);
    expect(JSON.stringify(d)).not.toContain('first-Pa55');
    expect(store.reads('emu/app')).toBe(reads);
    c.destroy();
  });

  it('staged versions: AWSPENDING, then AWSCURRENT moved with AWSPREVIOUS on the old one', async () => {
    const s = new SecretsStore(account);
    s.createSecret('rot', 'v1');
    const srv = await startAwsApiServer({ account, secrets: s });
    const c = client({ endpoint: srv.endpoint });
    try {
      const v1 = (await c.send(new GetSecretValueCommand({ SecretId: 'rot' }))).VersionId!;
      const v2 = s.putSecretValue('rot', 'v2');
      expect((await c.send(new GetSecretValueCommand({ SecretId: 'rot' }))).SecretString).toBe('v1');
      const pending = await c.send(new GetSecretValueCommand({ SecretId: 'rot', VersionStage: AWSPENDING }));
      expect(pending.SecretString).toBe('v2');
      expect(pending.VersionId).toBe(v2);
      expect((await c.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v1 }))).SecretString).toBe(
        'v1',
      );
      const noPrevious = await rejection(
        c.send(new GetSecretValueCommand({ SecretId: 'rot', VersionStage: AWSPREVIOUS })),
      );
      expect(noPrevious).toBeInstanceOf(ResourceNotFoundException);

      s.updateSecretVersionStage('rot', AWSCURRENT, v2);
      const current = await c.send(new GetSecretValueCommand({ SecretId: 'rot' }));
      expect(current.SecretString).toBe('v2');
      expect(current.VersionStages).toEqual([AWSCURRENT]);
      const previous = await c.send(
        new GetSecretValueCommand({ SecretId: 'rot', VersionStage: AWSPREVIOUS }),
      );
      expect(previous.SecretString).toBe('v1');
      const d = await c.send(new DescribeSecretCommand({ SecretId: 'rot' }));
      expect(d.VersionIdsToStages).toEqual({ [v1]: [AWSPREVIOUS], [v2]: [AWSCURRENT] });

      // A third rotation: v1 loses its label, stays readable by VersionId.
      const v3 = s.putSecretValue('rot', 'v3', [AWSCURRENT]);
      const d3 = await c.send(new DescribeSecretCommand({ SecretId: 'rot' }));
      expect(d3.VersionIdsToStages).toEqual({ [v2]: [AWSPREVIOUS], [v3]: [AWSCURRENT] });
      expect((await c.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v1 }))).SecretString).toBe(
        'v1',
      );
      // VersionId and VersionStage that disagree
      const disagree = await rejection(
        c.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v1, VersionStage: AWSCURRENT })),
      );
      expect(disagree.name).toBe('InvalidRequestException');
    } finally {
      c.destroy();
      await srv.close();
    }
  });

  it('a missing secret is ResourceNotFoundException, for both operations', async () => {
    const c = client();
    const e1 = await rejection(c.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(e1).toBeInstanceOf(ResourceNotFoundException);
    expect(e1.$metadata?.httpStatusCode).toBe(400);
    const e2 = await rejection(
      c.send(new DescribeSecretCommand({ SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' })),
    );
    expect(e2).toBeInstanceOf(ResourceNotFoundException);
    c.destroy();
  });

  it('refuses a wrong secret key, an unknown access key, another region, with the SDK exceptions AWS gives', async () => {
    const other = createTestAwsAccount('eu-west-1');
    const reads = store.reads('emu/app');
    const cases: [SecretsManagerClient, string][] = [
      [client({ secret: other.secretAccessKey }), 'InvalidSignatureException'],
      [client({ account: other }), 'UnrecognizedClientException'],
      [client({ region: 'us-east-1' }), 'InvalidSignatureException'],
    ];
    for (const [c, name] of cases) {
      const err = await rejection(c.send(new GetSecretValueCommand({ SecretId: 'emu/app' })));
      expect(err.name).toBe(name);
      expect(err.$metadata?.httpStatusCode).toBe(403);
      for (const secret of ['first-Pa55', account.secretAccessKey])
        expect(secretLeaks(err, secret)).toEqual([]);
      c.destroy();
    }
    expect(store.reads('emu/app')).toBe(reads);
    expect(server.stats().refused.UnrecognizedClientException).toBeGreaterThanOrEqual(1);
  });

  it('refuses a stale signature beyond the clock skew bound', async () => {
    const srv = await startAwsApiServer({ account, secrets: store, now: () => Date.now() + 10 * 60_000 });
    const c = new SecretsManagerClient({
      region: account.region,
      endpoint: srv.endpoint,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
      maxAttempts: 1,
      // The SDK corrects its clock from the server's Date header on a skew error: keep it from retrying.
      systemClockOffset: 0,
    });
    try {
      const err = await rejection(c.send(new GetSecretValueCommand({ SecretId: 'emu/app' })));
      expect(err.name).toBe('InvalidSignatureException');
    } finally {
      c.destroy();
      await srv.close();
    }
  });

  it('refuses unsigned, oversized and unknown requests with the AWS error shape', async () => {
    const post = (
      body: string,
      headers: Record<string, string>,
    ): Promise<{ status: number; type: string | undefined; body: string }> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          `${server.endpoint}/`,
          { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                type: res.headers['x-amzn-errortype'] as string | undefined,
                body: text,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const unsigned = await post('{"SecretId":"emu/app"}', {
      'x-amz-target': 'secretsmanager.GetSecretValue',
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.type).toBe('IncompleteSignatureException');
    expect(JSON.parse(unsigned.body)).toMatchObject({ __type: 'IncompleteSignatureException' });
    expect(unsigned.body).not.toContain('first-Pa55');

    const unknown = await post('{}', { 'x-amz-target': 'dynamodb.GetItem' });
    expect(unknown.type).toBe('UnknownOperationException');

    const big = await post(JSON.stringify({ SecretId: 'x'.repeat(100_000) }), {
      'x-amz-target': 'secretsmanager.GetSecretValue',
    });
    expect(big.status).toBe(413);
  });

  it('close() closes kept-alive sockets and stops listening', async () => {
    const srv = await startAwsApiServer({ account, secrets: store });
    const c = client({ endpoint: srv.endpoint });
    await c.send(new GetSecretValueCommand({ SecretId: 'emu/app' }));
    const started = Date.now();
    await srv.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    // The kept-alive socket is gone (the old client fails at once), and nothing listens any more.
    await rejection(c.send(new GetSecretValueCommand({ SecretId: 'emu/app' })));
    const fresh = client({ endpoint: srv.endpoint });
    const err = await rejection(fresh.send(new GetSecretValueCommand({ SecretId: 'emu/app' })));
    expect(err.message).toMatch(/ECONNREFUSED/);
    fresh.destroy();
    c.destroy();
    expect(inspect(account)).not.toContain(account.secretAccessKey);
  });
});
