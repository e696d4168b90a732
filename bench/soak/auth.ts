/**
 * How the soak's connections log in (`--auth`): the cluster options each mode needs, the driver
 * options every soak connection and the pool use (the test user's password, the `iam` plugin
 * with the cluster's test AWS account, or the `secretsManager` plugin on the cluster's secret),
 * and the mode's counters for the report (IAM gate, secret reads).
 */
import type { EmulatedCluster, StartClusterOptions } from '../../src/emulator.js';

export const AUTH_MODES = ['password', 'iam', 'secrets'] as const;
export type SoakAuth = (typeof AUTH_MODES)[number];

/** `--auth iam`: the emulator refuses tokens older than this (issue 22: 30 s). */
export const IAM_TOKEN_TTL_MS = 30_000;
/** `--auth iam`: the plugin reuses a token this long, well inside the emulator's lifetime. */
export const IAM_TOKEN_REUSE_MS = 20_000;
/** `--auth secrets`: a rotation every 2 minutes by default (issue 22). */
export const ROTATE_EVERY_MS = 120_000;

/** The cluster options of a mode, besides engine and instances. */
export function clusterOptionsFor(auth: SoakAuth): Partial<StartClusterOptions> {
  switch (auth) {
    case 'password':
      return {};
    case 'iam':
      return { tls: true, iam: true, iamTokenTtlMs: IAM_TOKEN_TTL_MS };
    case 'secrets':
      return { secretsManager: true };
  }
}

/** What the soak's connections (direct and pooled) are opened with. */
export interface SoakLogin {
  readonly auth: SoakAuth;
  /** The auth plugin added to the run's plugins (none with `password`). */
  readonly plugin: 'iam' | 'secretsManager' | undefined;
  /** Driver + plugin options: host, port, database, user / password or the plugin's, TLS. */
  readonly options: Record<string, unknown>;
}

function awsOf(cluster: EmulatedCluster): NonNullable<EmulatedCluster['aws']> {
  const aws = cluster.aws;
  if (aws === undefined) throw new Error('soak: the cluster has no test AWS account (cluster.aws)');
  return aws;
}

/**
 * The login of every soak connection in `auth` mode. `iam`: the cluster's IAM user, tokens signed
 * with `cluster.aws`, TLS with the cluster's CA. `secrets`: no user or password of its own, both
 * from `cluster.secret` (read through its endpoint with `cluster.aws`).
 */
export function soakLogin(cluster: EmulatedCluster, auth: SoakAuth): SoakLogin {
  const { user, password, database } = cluster.credentials;
  const base: Record<string, unknown> = {
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    database,
    ...(cluster.tls ? { ssl: { ca: cluster.tls.ca } } : {}),
  };
  switch (auth) {
    case 'password':
      return { auth, plugin: undefined, options: { ...base, user, password } };
    case 'iam': {
      const aws = awsOf(cluster);
      if (cluster.iamUser === undefined) throw new Error('soak: the cluster has no IAM user (iam: true)');
      return {
        auth,
        plugin: 'iam',
        options: {
          ...base,
          user: cluster.iamUser,
          iamRegion: aws.region,
          iamTokenExpirationMs: IAM_TOKEN_REUSE_MS,
          awsCredentialsProvider: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
        },
      };
    }
    case 'secrets': {
      const aws = awsOf(cluster);
      const secret = cluster.secret;
      if (secret === undefined) throw new Error('soak: the cluster has no secret (secretsManager: true)');
      return {
        auth,
        plugin: 'secretsManager',
        options: {
          ...base,
          secretId: secret.secretId,
          secretRegion: secret.region,
          secretEndpoint: secret.endpoint,
          awsCredentialsProvider: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
        },
      };
    }
  }
}

/** The mode's counters for the summary and the report. */
export type AuthStats =
  | { readonly mode: 'password' }
  | {
      readonly mode: 'iam';
      readonly user: string;
      readonly tokenTtlMs: number;
      readonly tokenReuseMs: number;
      readonly accepted: number;
      readonly refused: Readonly<Record<string, number>>;
      readonly refusedTotal: number;
      readonly throttled: number;
    }
  | {
      readonly mode: 'secrets';
      readonly secretId: string;
      readonly rotateEveryMs: number;
      readonly rotations: number;
      readonly rotationErrors: number;
      readonly secretReads: number;
    };

export function authStats(
  cluster: EmulatedCluster,
  auth: SoakAuth,
  rotation: { everyMs: number; done: number; errors: number },
): AuthStats {
  switch (auth) {
    case 'password':
      return { mode: auth };
    case 'iam': {
      const s = cluster.iamStats();
      return {
        mode: auth,
        user: cluster.iamUser ?? '',
        tokenTtlMs: IAM_TOKEN_TTL_MS,
        tokenReuseMs: IAM_TOKEN_REUSE_MS,
        accepted: s.accepted,
        refused: s.refused,
        refusedTotal: s.refusedTotal,
        throttled: s.throttled,
      };
    }
    case 'secrets':
      return {
        mode: auth,
        secretId: cluster.secret?.secretId ?? '',
        rotateEveryMs: rotation.everyMs,
        rotations: rotation.done,
        rotationErrors: rotation.errors,
        secretReads: cluster.secret?.reads() ?? 0,
      };
  }
}

/** One line of the summary. */
export function describeAuthStats(s: AuthStats): string {
  switch (s.mode) {
    case 'password':
      return 'password (the test user)';
    case 'iam':
      return `iam as ${s.user} (token lifetime ${s.tokenTtlMs} ms, reused ${s.tokenReuseMs} ms): gate accepted ${s.accepted}, refused ${s.refusedTotal} ${JSON.stringify(s.refused)}, throttled ${s.throttled}`;
    case 'secrets':
      return `secrets (${s.secretId}): ${s.rotations} rotations every ${s.rotateEveryMs} ms (${s.rotationErrors} failed), ${s.secretReads} secret reads`;
  }
}
