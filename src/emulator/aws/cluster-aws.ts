/**
 * The AWS side of one emulated cluster: its test account, its AWS-API server (started when the
 * cluster has `secretsManager` or `iam`), the Secrets Manager store with the cluster's secret,
 * and the rotation of that secret (AWSPENDING staged, the password applied by the cluster,
 * AWSCURRENT moved `windowMs` later). The cluster (cluster.ts) owns the engines; this owns
 * the AWS state and its timer.
 */
import { randomBytes } from 'node:crypto';
import { AuroraHaError } from '../../core/errors.js';
import { keepAlive } from '../../core/keep-alive.js';
import { startAwsApiServer, type AwsApiServer } from './aws-api-server.js';
import { AWSCURRENT, AWSPENDING, SecretsStore } from './secrets-store.js';
import { createTestAwsAccount, type TestAwsAccount } from './test-account.js';

/** The emulator's test AWS credentials and its AWS-API endpoint (`cluster.aws`). */
export interface ClusterAws {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `http://127.0.0.1:<port>`: pass it as the SDK client's `endpoint` (the plugin's `secretEndpoint`). */
  readonly endpoint: string;
}

/** The cluster's secret in the emulated Secrets Manager (`cluster.secret`). */
export interface ClusterSecret {
  /** The secret's name (its ARN works too). */
  readonly secretId: string;
  readonly arn: string;
  readonly region: string;
  readonly endpoint: string;
  /** GetSecretValue calls answered for this secret so far (to bound a client's re-reads). */
  reads(): number;
}

/** A rotation whose new password is set on every instance (the window is open). */
export interface SecretRotation {
  /** The new version, labelled AWSPENDING until it becomes AWSCURRENT. */
  readonly versionId: string;
  /** When AWSCURRENT moves (ms since the epoch). */
  readonly currentAt: number;
  /** Resolves once AWSCURRENT has moved (or the cluster stopped); never rejects. */
  completed(): Promise<void>;
}

/** The database user the cluster's secret is for: its own, so rotating it breaks no other login. */
export const SECRET_USER = 'aurora_secret';

/** Random password: letters and digits (no quoting anywhere), 32 of them. */
export function randomPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (const b of randomBytes(32)) out += alphabet[b % alphabet.length];
  return out;
}

/** Fields of the secret's JSON besides the password, as RDS writes them. */
export interface SecretShape {
  readonly username: string;
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly dbClusterIdentifier: string;
}

function hideSecretKey<T extends object>(value: T, secretKey: string): T {
  const shown = (): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [k, v] of Object.entries(copy)) if (v === secretKey) copy[k] = '***';
    return copy;
  };
  Object.defineProperty(value, Symbol.for('nodejs.util.inspect.custom'), { value: shown });
  Object.defineProperty(value, 'toJSON', { value: shown });
  return Object.freeze(value);
}

export class ClusterAwsSide {
  readonly store: SecretsStore;
  readonly aws: ClusterAws;
  private secretInfo: ClusterSecret | undefined;
  private shape: SecretShape | undefined;
  private pending: { timer: NodeJS.Timeout | undefined; finish: () => void } | undefined;
  private closed = false;

  private constructor(
    readonly account: TestAwsAccount,
    private readonly server: AwsApiServer,
    store: SecretsStore,
  ) {
    this.store = store;
    this.aws = hideSecretKey(
      {
        region: account.region,
        accessKeyId: account.accessKeyId,
        secretAccessKey: account.secretAccessKey,
        endpoint: server.endpoint,
      },
      account.secretAccessKey,
    );
  }

  /** `account`: the one the cluster's IAM gate already verifies tokens with (`iam: true`); else a new one. */
  static async start(region: string, account = createTestAwsAccount(region)): Promise<ClusterAwsSide> {
    const store = new SecretsStore(account);
    const server = await startAwsApiServer({ account, secrets: store });
    return new ClusterAwsSide(account, server, store);
  }

  get secret(): ClusterSecret | undefined {
    return this.secretInfo;
  }

  /** Creates the cluster's secret (`rds-db-credentials/cluster-<id>/<user>`), AWSCURRENT = `password`. */
  createSecret(clusterId: string, shape: SecretShape, password: string): ClusterSecret {
    const name = `rds-db-credentials/cluster-${clusterId}/${shape.username}`;
    const arn = this.store.createSecret(name, this.valueOf(shape, password), {
      description: `aurora-ha emulator: credentials of ${shape.username} on ${shape.dbClusterIdentifier}`,
    });
    this.shape = shape;
    this.secretInfo = Object.freeze({
      secretId: name,
      arn,
      region: this.account.region,
      endpoint: this.server.endpoint,
      reads: () => this.store.reads(name),
    });
    return this.secretInfo;
  }

  private valueOf(shape: SecretShape, password: string): string {
    return JSON.stringify({
      username: shape.username,
      password,
      engine: shape.engine,
      host: shape.host,
      port: shape.port,
      dbClusterIdentifier: shape.dbClusterIdentifier,
    });
  }

  /** Throws unless a rotation may start now (a secret exists, no rotation in its window). */
  checkRotatable(): void {
    if (this.secretInfo === undefined) {
      throw new AuroraHaError(
        'EMULATOR_UNSUPPORTED',
        'rotateSecret: the cluster has no secret (start it with secretsManager: true)',
      );
    }
    if (this.pending !== undefined) {
      throw new AuroraHaError(
        'EMULATOR_BAD_STATE',
        'rotateSecret: the previous rotation is still in its window (await its completed())',
      );
    }
  }

  /**
   * Secrets Manager's rotation steps: the new password is staged AWSPENDING, `apply` sets it on
   * the database (every instance), then AWSCURRENT moves `windowMs` later. `record` publishes
   * timeline events (no password in them). If `apply` fails, AWSPENDING stays staged and
   * AWSCURRENT does not move — as a failed rotation leaves a real secret.
   */
  async rotate(
    windowMs: number,
    apply: (password: string) => Promise<readonly string[]>,
    record: (kind: 'secret-pending' | 'secret-rotated', detail: string) => void,
  ): Promise<SecretRotation> {
    this.checkRotatable();
    const secret = this.secretInfo as ClusterSecret;
    const shape = this.shape as SecretShape;
    const password = randomPassword();
    const versionId = this.store.putSecretValue(secret.secretId, this.valueOf(shape, password), [AWSPENDING]);
    // Claimed before awaiting, so a second rotateSecret() cannot start meanwhile.
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.pending = { timer: undefined, finish };
    let instances: readonly string[];
    try {
      instances = await apply(password);
    } catch (err) {
      this.pending = undefined;
      finish();
      throw err;
    }
    const currentAt = Date.now() + windowMs;
    record(
      'secret-pending',
      `${SECRET_USER}'s new password set on ${instances.join(', ')}; version ${versionId} is ${AWSPENDING}, ${AWSCURRENT} moves in ${windowMs} ms`,
    );
    const timer = setTimeout(() => {
      this.pending = undefined;
      if (!this.closed) {
        this.store.updateSecretVersionStage(secret.secretId, AWSCURRENT, versionId);
        record('secret-rotated', `${AWSCURRENT} → version ${versionId}`);
      }
      finish();
    }, windowMs);
    timer.unref();
    this.pending = { timer, finish };
    return {
      versionId,
      currentAt,
      completed: () => keepAlive(done),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pending !== undefined) {
      clearTimeout(this.pending.timer);
      this.pending.finish();
      this.pending = undefined;
    }
    await this.server.close();
  }
}
