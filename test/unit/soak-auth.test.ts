/**
 * The soak's login modes (bench/soak/auth.ts) without an engine: what every soak connection is
 * opened with for `password`, `iam` and `secrets` (the cluster's IAM user with the `iam` plugin
 * and TLS; no user or password of its own with `secretsManager`), and the mode's stats for the
 * summary and report, which never carry the test AWS secret key or a password.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  authStats,
  describeAuthStats,
  IAM_TOKEN_REUSE_MS,
  IAM_TOKEN_TTL_MS,
  soakLogin,
} from '../../bench/soak/auth.js';

/** The cluster type auth.ts takes (test/unit does not import the emulator, not even its types). */
type EmulatedCluster = Parameters<typeof soakLogin>[0];
type IamStats = ReturnType<EmulatedCluster['iamStats']>;

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTKEY';
const PASSWORD = 'test-user-password-1234';

/** The slice of a cluster auth.ts reads. */
function fakeCluster(parts: {
  tls?: boolean;
  iam?: boolean;
  secret?: boolean;
  stats?: IamStats;
  reads?: number;
}): EmulatedCluster {
  const fake = {
    engine: 'postgres',
    writerEndpoint: { host: 'my-cluster.cluster-abc.us-east-1.rds.amazonaws.com', port: 5432 },
    credentials: { user: 'aurora', password: PASSWORD, database: 'test' },
    tls: parts.tls ? { ca: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n' } : undefined,
    iamUser: parts.iam ? 'aurora_iam_user' : undefined,
    aws:
      parts.iam || parts.secret
        ? { region: 'us-east-1', accessKeyId: 'AKIATEST', secretAccessKey: SECRET_KEY, endpoint: undefined }
        : undefined,
    secret: parts.secret
      ? {
          secretId: 'rds-db-credentials/cluster-abc/aurora_secret',
          arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
          region: 'us-east-1',
          endpoint: 'http://127.0.0.1:4566',
          reads: () => parts.reads ?? 0,
        }
      : undefined,
    iamStats: () => parts.stats ?? { accepted: 0, refused: {}, refusedTotal: 0, throttled: 0 },
  };
  return fake as unknown as EmulatedCluster;
}

describe('soak --auth: logins', () => {
  it('password: the test user, as before', () => {
    const login = soakLogin(fakeCluster({}), 'password');
    expect(login.plugin).toBeUndefined();
    expect(login.options).toEqual({
      host: 'my-cluster.cluster-abc.us-east-1.rds.amazonaws.com',
      port: 5432,
      database: 'test',
      user: 'aurora',
      password: PASSWORD,
    });
  });

  it('iam: the IAM user with the iam plugin, the test AWS account, TLS with the CA, tokens reused < their 30 s', () => {
    const c = fakeCluster({ tls: true, iam: true });
    const login = soakLogin(c, 'iam');
    expect(login.plugin).toBe('iam');
    expect(login.options).toMatchObject({
      user: 'aurora_iam_user',
      ssl: { ca: c.tls!.ca },
      iamRegion: 'us-east-1',
      iamTokenExpirationMs: IAM_TOKEN_REUSE_MS,
      awsCredentialsProvider: { accessKeyId: 'AKIATEST', secretAccessKey: SECRET_KEY },
    });
    expect(login.options).not.toHaveProperty('password');
    expect(IAM_TOKEN_REUSE_MS).toBeLessThan(IAM_TOKEN_TTL_MS);
  });

  it('secrets: no user or password of its own, the secretsManager plugin on cluster.secret', () => {
    const login = soakLogin(fakeCluster({ secret: true }), 'secrets');
    expect(login.plugin).toBe('secretsManager');
    expect(login.options).toMatchObject({
      secretId: 'rds-db-credentials/cluster-abc/aurora_secret',
      secretRegion: 'us-east-1',
      secretEndpoint: 'http://127.0.0.1:4566',
      awsCredentialsProvider: { accessKeyId: 'AKIATEST', secretAccessKey: SECRET_KEY },
    });
    expect(login.options).not.toHaveProperty('user');
    expect(login.options).not.toHaveProperty('password');
    expect(login.options).not.toHaveProperty('ssl');
  });

  it('a cluster started without the mode is an error naming what is missing', () => {
    expect(() => soakLogin(fakeCluster({ tls: true }), 'iam')).toThrow('cluster.aws');
    expect(() => soakLogin(fakeCluster({ secret: false, iam: true }), 'secrets')).toThrow(
      'secretsManager: true',
    );
  });
});

describe('soak --auth: stats', () => {
  const rotation = { everyMs: 120_000, done: 4, errors: 1 };

  it('iam: the gate counters', () => {
    const stats = authStats(
      fakeCluster({
        tls: true,
        iam: true,
        stats: { accepted: 812, refused: { expired: 2 }, refusedTotal: 2, throttled: 0 },
      }),
      'iam',
      rotation,
    );
    expect(stats).toEqual({
      mode: 'iam',
      user: 'aurora_iam_user',
      tokenTtlMs: 30_000,
      tokenReuseMs: IAM_TOKEN_REUSE_MS,
      accepted: 812,
      refused: { expired: 2 },
      refusedTotal: 2,
      throttled: 0,
    });
    expect(describeAuthStats(stats)).toContain('accepted 812, refused 2 {"expired":2}, throttled 0');
  });

  it('secrets: rotations and secret reads', () => {
    const stats = authStats(fakeCluster({ secret: true, reads: 9 }), 'secrets', rotation);
    expect(stats).toMatchObject({ mode: 'secrets', rotations: 4, rotationErrors: 1, secretReads: 9 });
    expect(describeAuthStats(stats)).toContain('4 rotations every 120000 ms (1 failed), 9 secret reads');
    expect(describeAuthStats(authStats(fakeCluster({}), 'password', rotation))).toContain('password');
  });

  it('never carries the AWS secret key or a password', () => {
    for (const [parts, mode] of [
      [{ tls: true, iam: true }, 'iam'],
      [{ secret: true }, 'secrets'],
      [{}, 'password'],
    ] as const) {
      const stats = authStats(fakeCluster(parts), mode, rotation);
      for (const shown of [JSON.stringify(stats), inspect(stats, { depth: 5 }), describeAuthStats(stats)]) {
        expect(shown).not.toContain(SECRET_KEY);
        expect(shown).not.toContain(PASSWORD);
      }
    }
  });
});
