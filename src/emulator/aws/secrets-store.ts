/**
 * The emulator's Secrets Manager data: secrets with versions and staging labels (AWSCURRENT,
 * AWSPENDING, AWSPREVIOUS, moved the way Secrets Manager moves them), looked up by name or ARN,
 * with per-secret read counters for tests. Pure data, no I/O; the AWS-API server serves it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestAwsAccount } from './test-account.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** An error Secrets Manager would answer with: `type` is the exception's name on the wire. */
export class SecretsManagerError extends Error {
  constructor(
    readonly type: 'ResourceNotFoundException' | 'InvalidParameterException' | 'InvalidRequestException',
    message: string,
  ) {
    super(message);
    this.name = 'SecretsManagerError';
  }
}

export interface SecretVersionView {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdAt: number;
}

export interface SecretValueView {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly secretString: string;
  readonly stages: readonly string[];
  readonly createdAt: number;
}

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly createdAt: number;
  readonly lastChangedAt: number;
  readonly lastAccessedAt: number | undefined;
  readonly versions: readonly SecretVersionView[];
}

interface Version {
  readonly versionId: string;
  readonly secretString: string;
  readonly stages: Set<string>;
  readonly createdAt: number;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly createdAt: number;
  lastChangedAt: number;
  lastAccessedAt: number | undefined;
  /** Oldest first. */
  readonly versions: Version[];
  reads: number;
}

/** Versions without a label are kept (readable by VersionId) up to this many, oldest dropped first. */
const MAX_UNLABELED_VERSIONS = 10;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export class SecretsStore {
  private readonly byName = new Map<string, Secret>();

  /** No secret value in `util.inspect` (a logged cluster object must not show passwords). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecretsStore { ${[...this.byName.keys()].join(', ')} }`;
  }

  constructor(
    private readonly account: TestAwsAccount,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a secret whose first version is AWSCURRENT; returns its ARN. */
  createSecret(name: string, secretString: string, options: { description?: string } = {}): string {
    if (!SECRET_NAME.test(name)) {
      throw new SecretsManagerError(
        'InvalidParameterException',
        'The secret name is not a valid Secrets Manager name.',
      );
    }
    if (this.byName.has(name)) {
      throw new SecretsManagerError('InvalidRequestException', `A secret named ${name} already exists.`);
    }
    const at = this.now();
    // Secrets Manager appends a hyphen and six random characters to the name in the ARN.
    const suffix = randomBytes(6)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 6);
    const arn = `arn:aws:secretsmanager:${this.account.region}:${this.account.accountId}:secret:${name}-${suffix}`;
    this.byName.set(name, {
      name,
      arn,
      description: options.description,
      createdAt: at,
      lastChangedAt: at,
      lastAccessedAt: undefined,
      versions: [{ versionId: randomUUID(), secretString, stages: new Set([AWSCURRENT]), createdAt: at }],
      reads: 0,
    });
    return arn;
  }

  /**
   * Adds a version carrying `stages` (default AWSPENDING); each label moves off the version that
   * had it. Moving AWSCURRENT also labels the previous current version AWSPREVIOUS.
   */
  putSecretValue(secretId: string, secretString: string, stages: readonly string[] = [AWSPENDING]): string {
    const secret = this.secret(secretId);
    const version: Version = {
      versionId: randomUUID(),
      secretString,
      stages: new Set(),
      createdAt: this.now(),
    };
    secret.versions.push(version);
    for (const stage of stages) this.moveStage(secret, stage, version);
    secret.lastChangedAt = this.now();
    this.prune(secret);
    return version.versionId;
  }

  /** Moves `stage` to the version `versionId` (UpdateSecretVersionStage). */
  updateSecretVersionStage(secretId: string, stage: string, versionId: string): void {
    const secret = this.secret(secretId);
    const version = secret.versions.find((v) => v.versionId === versionId);
    if (version === undefined) {
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret version.",
      );
    }
    this.moveStage(secret, stage, version);
    secret.lastChangedAt = this.now();
    this.prune(secret);
  }

  /** GetSecretValue: AWSCURRENT unless a VersionId or VersionStage is given (both: they must agree). Counts a read. */
  getSecretValue(
    secretId: string,
    select: { versionId?: string; versionStage?: string } = {},
  ): SecretValueView {
    const secret = this.secret(secretId);
    let version: Version | undefined;
    if (select.versionId !== undefined) {
      version = secret.versions.find((v) => v.versionId === select.versionId);
      if (version === undefined) {
        throw new SecretsManagerError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${select.versionId.slice(0, 64)}`,
        );
      }
      if (select.versionStage !== undefined && !version.stages.has(select.versionStage)) {
        throw new SecretsManagerError(
          'InvalidRequestException',
          `You provided a VersionStage that is not associated to the provided VersionId.`,
        );
      }
    } else {
      const stage = select.versionStage ?? AWSCURRENT;
      version = secret.versions.find((v) => v.stages.has(stage));
      if (version === undefined) {
        throw new SecretsManagerError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${stage.slice(0, 64)}`,
        );
      }
    }
    secret.reads += 1;
    secret.lastAccessedAt = this.now();
    return {
      arn: secret.arn,
      name: secret.name,
      versionId: version.versionId,
      secretString: version.secretString,
      stages: [...version.stages],
      createdAt: version.createdAt,
    };
  }

  /** DescribeSecret: metadata and the labelled versions, no value; not a read. */
  describeSecret(secretId: string): SecretDescription {
    const secret = this.secret(secretId);
    return {
      arn: secret.arn,
      name: secret.name,
      description: secret.description,
      createdAt: secret.createdAt,
      lastChangedAt: secret.lastChangedAt,
      lastAccessedAt: secret.lastAccessedAt,
      versions: secret.versions
        .filter((v) => v.stages.size > 0)
        .map((v) => ({ versionId: v.versionId, stages: [...v.stages], createdAt: v.createdAt })),
    };
  }

  /** How many GetSecretValue calls this secret answered (tests bound the library's re-reads with it). */
  reads(secretId: string): number {
    return this.secret(secretId).reads;
  }

  /** The ARN of a secret known by name or ARN, or undefined. */
  arnOf(secretId: string): string | undefined {
    return this.find(secretId)?.arn;
  }

  private secret(secretId: string): Secret {
    const s = this.find(secretId);
    if (s === undefined) {
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return s;
  }

  /** By name, full ARN, or partial ARN (the ARN without its six-character suffix), as AWS accepts. */
  private find(secretId: string): Secret | undefined {
    const byName = this.byName.get(secretId);
    if (byName !== undefined) return byName;
    if (!secretId.startsWith('arn:')) return undefined;
    for (const s of this.byName.values()) {
      if (s.arn === secretId || s.arn.slice(0, -7) === secretId) return s;
    }
    return undefined;
  }

  private moveStage(secret: Secret, stage: string, to: Version): void {
    if (to.stages.has(stage)) return;
    const from = secret.versions.find((v) => v.stages.has(stage));
    from?.stages.delete(stage);
    to.stages.add(stage);
    if (stage === AWSCURRENT) {
      // A version that becomes current is no longer pending; the one it replaces becomes previous.
      to.stages.delete(AWSPENDING);
      if (from !== undefined) {
        for (const v of secret.versions) v.stages.delete(AWSPREVIOUS);
        from.stages.add(AWSPREVIOUS);
      }
    }
  }

  private prune(secret: Secret): void {
    let unlabeled = secret.versions.filter((v) => v.stages.size === 0).length;
    for (let i = 0; i < secret.versions.length && unlabeled > MAX_UNLABELED_VERSIONS;) {
      if ((secret.versions[i] as Version).stages.size === 0) {
        secret.versions.splice(i, 1);
        unlabeled -= 1;
      } else {
        i += 1;
      }
    }
  }
}
