/**
 * The `secretsManager` credential source: the user and password of every connect read from a
 * secret (JSON with `secretUsernameProperty` / `secretPasswordProperty`) with the optional
 * `@aws-sdk/client-secrets-manager`, loaded on first use. One GetSecretValue per secret for
 * the process, cached (bounded LRU) for `secretExpirationMs`, connections needing it at once
 * share one read.
 *
 * Rotation changes the database password before the secret's AWSCURRENT moves, so a refused
 * login re-reads the secret and retries, bounded: 4 retries after pauses of 1-1.5, 2-3, 4-6 and
 * 8-12 s, the secret re-read right before each (the last attempt comes 15-22.5 s after the
 * first refusal with a secret read at most 1 s before it: a rotation window of up to 14 s is
 * always covered; RDS's managed rotation moves AWSCURRENT within seconds). Re-reads are shared by every connection of the process and
 * at most one per second per secret (`MIN_REREAD_MS`), so a rotation with 200 refused
 * connections makes at most one read per second of the window, not 200. Still refused at the
 * end: the driver's own authentication error.
 */
import { ConfigurationError } from '../../core/errors.js';
import { BoundedLru } from '../../core/bounded-lru.js';
import { StepTimedOut, withTimeout } from '../../core/time.js';
import type { ResolvedConfig } from '../../core/wrapper-options.js';
import type { DriverAdapter } from '../../drivers/driver.js';
import type {
  CredentialRequest,
  CredentialSource,
  Credentials,
  LoginRetryPolicy,
} from '../../connection/credentials.js';
import {
  CredentialsUnavailableError,
  awsClientSettings,
  loadOptional,
  regionOfArn,
  requirePackage,
  type Clock,
  type PackageLoader,
} from '../../connection/credentials-aws.js';

export const SECRETS_PACKAGE = '@aws-sdk/client-secrets-manager';

/** Bound on one GetSecretValue (connect + answer): an unreachable endpoint fails within it. */
export const READ_TIMEOUT_MS = 10_000;
/** Re-reads after refused logins: at most one per this interval per secret, process-wide. */
export const MIN_REREAD_MS = 1_000;
export const SECRETS_RETRY: LoginRetryPolicy = { retries: 4, baseMs: 1_000, maxMs: 8_000, low: 1, high: 1.5 };

interface ClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<{ SecretString?: string }>;
  destroy?(): void;
}
interface SecretsModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => ClientLike;
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
}

interface SecretEntry {
  creds: Credentials | undefined;
  readAt: number;
  pending: Promise<Credentials> | undefined;
}

/** Process-wide: the credentials of each secret (bounded). */
const secrets = new BoundedLru<SecretEntry>(64);
let reads = 0;

/** GetSecretValue calls made by this process (tests, and the bound the docs state). */
export function secretReads(): number {
  return reads;
}

/** Forget every cached secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
}

export interface SecretsDeps {
  readonly load?: PackageLoader;
  readonly now?: Clock;
  readonly readTimeoutMs?: number;
  /** Replaces SECRETS_RETRY (tests: the count matters, not the seconds). */
  readonly retry?: LoginRetryPolicy;
}

class SecretsSource implements CredentialSource {
  readonly code = 'secretsManager';
  readonly retry: LoginRetryPolicy;
  private sdk: SecretsModule | undefined;
  private readonly secretId: string;
  private readonly region: string;
  private readonly key: string;
  private readonly expirationMs: number;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly deps: SecretsDeps,
  ) {
    this.retry = deps.retry ?? SECRETS_RETRY;
    const o = config.options;
    if (o.secretId === undefined) {
      throw new ConfigurationError(
        'secretId',
        'Plugin `secretsManager` needs the secret: set `secretId` (its name or ARN).',
      );
    }
    this.secretId = o.secretId;
    const region = o.secretRegion ?? regionOfArn(o.secretId);
    if (region === undefined) {
      throw new ConfigurationError(
        'secretRegion',
        `Plugin \`secretsManager\` cannot tell the region of secret ${o.secretId}: set \`secretRegion\` (or give the secret's ARN).`,
      );
    }
    this.region = region;
    if (o.secretEndpoint !== undefined && !/^https?:\/\/[^/]/i.test(o.secretEndpoint)) {
      throw new ConfigurationError(
        'secretEndpoint',
        `Option \`secretEndpoint\` must be an http(s) URL, got ${JSON.stringify(o.secretEndpoint)}.`,
        ['an http(s) URL'],
      );
    }
    this.expirationMs = o.secretExpirationMs ?? 870_000;
    this.key = [
      region,
      o.secretEndpoint ?? '',
      o.secretId,
      this.userKey(),
      this.passwordKey(),
      o.awsProfile ?? '',
    ].join('|');
  }

  private userKey(): string {
    return this.config.options.secretUsernameProperty ?? 'username';
  }

  private passwordKey(): string {
    return this.config.options.secretPasswordProperty ?? 'password';
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private entry(): SecretEntry {
    let e = secrets.get(this.key);
    if (e === undefined) {
      e = { creds: undefined, readAt: 0, pending: undefined };
      secrets.set(this.key, e);
    }
    return e;
  }

  credentials(_request: CredentialRequest): Promise<Credentials> {
    const e = this.entry();
    if (e.creds !== undefined && this.now() < e.readAt + this.expirationMs) return Promise.resolve(e.creds);
    return this.reread(e);
  }

  /** Join the read in flight, or start one. */
  private reread(e: SecretEntry): Promise<Credentials> {
    if (e.pending !== undefined) return e.pending;
    const pending = this.read().then(
      (creds) => {
        e.creds = creds;
        e.readAt = this.now();
        e.pending = undefined;
        return creds;
      },
      (err: unknown) => {
        e.pending = undefined;
        throw err;
      },
    );
    e.pending = pending;
    return pending;
  }

  async refused(_request: CredentialRequest, refused: Credentials): Promise<boolean> {
    const e = this.entry();
    // Someone already re-read (or is re-reading) since these credentials were handed out.
    if (e.pending !== undefined) {
      await e.pending.catch(() => undefined);
      return true;
    }
    if (e.creds !== refused) return true;
    // Read less than MIN_REREAD_MS ago: the retry after the backoff (>= 1 s) reads it again.
    if (this.now() - e.readAt < MIN_REREAD_MS) return true;
    try {
      await this.reread(e);
      return true;
    } catch {
      // The secret cannot be read now: the driver's authentication error is the answer.
      return false;
    }
  }

  private async read(): Promise<Credentials> {
    this.sdk ??= loadOptional(
      this.deps.load ?? requirePackage,
      SECRETS_PACKAGE,
      'secretsManager',
    ) as SecretsModule;
    const o = this.config.options;
    const bound = this.deps.readTimeoutMs ?? READ_TIMEOUT_MS;
    const client = new this.sdk.SecretsManagerClient({
      region: this.region,
      ...(o.secretEndpoint !== undefined ? { endpoint: o.secretEndpoint } : {}),
      ...awsClientSettings(o),
      maxAttempts: 2,
    });
    const abort = new AbortController();
    const where = `secret ${this.secretId} (region ${this.region}${
      o.secretEndpoint !== undefined ? `, endpoint ${o.secretEndpoint}` : ''
    })`;
    let text: string | undefined;
    try {
      reads++;
      const answer = await withTimeout(
        client.send(new this.sdk.GetSecretValueCommand({ SecretId: this.secretId }), {
          abortSignal: abort.signal,
        }),
        bound,
        'GetSecretValue',
        undefined,
        () => abort.abort(),
      );
      text = answer.SecretString;
    } catch (err) {
      const answered = hasHttpStatus(err);
      const why =
        err instanceof StepTimedOut
          ? `no answer within ${bound} ms`
          : err instanceof Error
            ? `${err.name}: ${err.message}`
            : String(err);
      throw new CredentialsUnavailableError(
        answered ? 'secretId' : 'secretEndpoint',
        `Plugin \`secretsManager\` could not read ${where}: ${why}.${
          answered ? '' : ' Check `secretEndpoint` / `secretRegion` and the network.'
        }`,
        { cause: err },
      );
    } finally {
      client.destroy?.();
    }
    return this.parse(text);
  }

  /** The user and password of the secret's JSON; errors name the key and the secret, never a value. */
  private parse(text: string | undefined): Credentials {
    let obj: unknown;
    try {
      obj = text === undefined ? undefined : JSON.parse(text);
    } catch {
      obj = undefined; // JSON.parse's message quotes the text: not kept
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new ConfigurationError(
        'secretId',
        `Secret ${this.secretId} has no JSON object in SecretString (plugin secretsManager expects { "${this.userKey()}": …, "${this.passwordKey()}": … }).`,
      );
    }
    const record = obj as Record<string, unknown>;
    const user = record[this.userKey()];
    const password = record[this.passwordKey()];
    if (typeof user !== 'string' || user === '') {
      throw new ConfigurationError(
        'secretUsernameProperty',
        `Secret ${this.secretId} has no string key "${this.userKey()}" (option secretUsernameProperty).`,
      );
    }
    if (typeof password !== 'string') {
      throw new ConfigurationError(
        'secretPasswordProperty',
        `Secret ${this.secretId} has no string key "${this.passwordKey()}" (option secretPasswordProperty).`,
      );
    }
    return { user, password };
  }
}

function hasHttpStatus(err: unknown): boolean {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number';
}

/** The `secretsManager` source for one logical connection (validates the options now). */
export function createSecretsSource(
  config: ResolvedConfig,
  _driver: DriverAdapter,
  deps: SecretsDeps = {},
): CredentialSource {
  return new SecretsSource(config, deps);
}
