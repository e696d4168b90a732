/**
 * The emulator's `iamLoginsPerSecond` on PostgreSQL: with a limit of 5 new IAM logins per
 * second, 20 simultaneous logins with one good token (real `@aws-sdk/rds-signer`, real `pg`)
 * are partly refused with PostgreSQL's authentication error, and `cluster.iamStats()` counts
 * them as throttled; a second later logins are let in again.
 */
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const LIMIT = 5;
const cluster = useCluster({
  engine: 'postgres',
  instances: 1,
  tls: true,
  iam: true,
  iamLoginsPerSecond: LIMIT,
});

function token(c: EmulatedCluster): Promise<string> {
  const aws = c.aws!;
  return new Signer({
    hostname: c.writerEndpoint.host,
    port: c.writerEndpoint.port,
    username: c.iamUser!,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  }).getAuthToken();
}

/** One login; resolves to 'ok' or the refusal's SQLSTATE. */
async function login(c: EmulatedCluster, password: string): Promise<string> {
  // generous: 20 TLS handshakes at once on a loaded 2-core machine
  const client = new pg.Client({
    ...pgConfig(c),
    user: c.iamUser!,
    password,
    connectionTimeoutMillis: 30_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('emulator iamLoginsPerSecond (PostgreSQL)', () => {
  it('20 simultaneous new IAM logins over a limit of 5 per second: some refused, counted as throttled', async () => {
    const c = cluster();
    const t = await token(c);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(c, t)));
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const ok = results.filter((r) => r === 'ok').length;
    const refused = results.filter((r) => r !== 'ok');
    expect(refused.length).toBeGreaterThan(0);
    for (const code of refused) expect(['28000', '28P01']).toContain(code);
    // at most LIMIT per started second of the burst
    expect(ok).toBeLessThanOrEqual(LIMIT * (seconds + 1));
    expect(ok).toBeGreaterThanOrEqual(1);
    const stats = c.iamStats();
    expect(stats.accepted).toBe(ok);
    expect(stats.throttled).toBe(refused.length);
    expect(stats.refusedTotal).toBe(0);

    await new Promise((r) => setTimeout(r, 1100));
    expect(await login(c, t)).toBe('ok');
  });
});
