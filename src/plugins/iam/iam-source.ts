/**
 * The `iam` credential source: an RDS IAM authentication token (made by the optional
 * `@aws-sdk/rds-signer`, loaded on first use) as the password of every connect, signed for the
 * host and port actually connected to (or `iamHost` / `iamDefaultPort`) and the driver
 * config's user. Tokens are cached per host + port + user + region + profile in a bounded LRU
 * and reused until `min(iamTokenExpirationMs, 840 s)` after they were made (RDS tokens live
 * 900 s: a reused token still has at least a minute left); connects needing the same token at
 * once share one generation. A refused login drops that token, and the retry signs a new one.
 */
import { ConfigurationError } from '../../core/errors.js';
import { BoundedLru } from '../../core/bounded-lru.js';
import { withTimeout } from '../../core/time.js';
import type { ResolvedConfig } from '../../core/wrapper-options.js';
import type { DriverAdapter } from '../../drivers/driver.js';
import { hostKey } from '../../drivers/host-info.js';
import type {
  CredentialRequest,
  CredentialSource,
  Credentials,
  LoginRetryPolicy,
} from '../../connection/credentials.js';
import { TLS_OPTION, tlsConfigured } from '../../connection/credentials-config.js';
import {
  CredentialsUnavailableError,
  awsClientSettings,
  loadOptional,
  regionOfHost,
  requirePackage,
  type Clock,
  type PackageLoader,
} from '../../connection/credentials-aws.js';

export const SIGNER_PACKAGE = '@aws-sdk/rds-signer';

/** RDS IAM tokens are valid 15 minutes; a cached one is handed out until 1 minute before that. */
export const TOKEN_LIFETIME_MS = 900_000;
export const MAX_REUSE_MS = TOKEN_LIFETIME_MS - 60_000;
/** Bound on signing one token (resolving AWS credentials may reach a metadata service). */
export const SIGN_TIMEOUT_MS = 10_000;

/**
 * A refused token is replaced and the login retried twice, 100-200 ms then 200-400 ms later:
 * enough for a token refused for its age or a clock step; a user without `rds_iam` / the IAM
 * policy stays refused and gets the driver's error within half a second.
 */
export const IAM_RETRY: LoginRetryPolicy = { retries: 2, baseMs: 200, maxMs: 1_000, low: 0.5, high: 1 };

interface SignerLike {
  getAuthToken(): Promise<string>;
}
interface SignerModule {
  Signer: new (config: Record<string, unknown>) => SignerLike;
}

interface TokenEntry {
  token: string | undefined;
  /** Reuse the token until then (ms since epoch). */
  reuseUntil: number;
  pending: Promise<string> | undefined;
}

/** Process-wide: tokens by region|host|port|user|profile (bounded, so hosts seen cannot grow it). */
const tokens = new BoundedLru<TokenEntry>(256);

/** Forget every cached token (tests). */
export function clearIamTokens(): void {
  tokens.clear();
}

export interface IamDeps {
  readonly load?: PackageLoader;
  readonly now?: Clock;
  readonly signTimeoutMs?: number;
}

class IamSource implements CredentialSource {
  readonly code = 'iam';
  readonly retry = IAM_RETRY;
  private signer: SignerModule | undefined;
  private readonly reuseMs: number;
  private readonly fallbackRegion: string | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly engine: DriverAdapter['engine'],
    private readonly deps: IamDeps,
  ) {
    const o = config.options;
    if (!tlsConfigured(engine, config.driverConfig)) {
      const tls = TLS_OPTION[engine];
      throw new ConfigurationError(
        tls,
        `Plugin \`iam\` sends the IAM token as the password, which RDS accepts only over TLS: set the driver option \`${tls}\` (${
          engine === 'postgres'
            ? 'pg: `ssl: true` or an object, or `sslmode=require` in the connection string'
            : 'mysql2: `ssl: { ca }`'
        }).`,
      );
    }
    const initial = config.initialHosts[0]?.host ?? '';
    this.fallbackRegion = o.iamRegion ?? regionOfHost(o.iamHost ?? initial);
    if (this.fallbackRegion === undefined) {
      throw new ConfigurationError(
        'iamRegion',
        `Plugin \`iam\` cannot tell the AWS region from the host ${o.iamHost ?? initial}: set \`iamRegion\` (e.g. us-east-1).`,
      );
    }
    this.reuseMs = Math.min(o.iamTokenExpirationMs ?? 870_000, MAX_REUSE_MS);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private target(request: CredentialRequest): { host: string; port: number; user: string; region: string } {
    const o = this.config.options;
    const user = request.user;
    if (user === undefined) {
      throw new ConfigurationError(
        'user',
        'Plugin `iam` signs its token for the database user: set `user` (or put it in the connection string).',
      );
    }
    const host = o.iamHost ?? request.serverName ?? request.host.host;
    const region = o.iamRegion ?? regionOfHost(host) ?? this.fallbackRegion ?? '';
    return { host, port: o.iamDefaultPort ?? request.host.port, user, region };
  }

  private keyOf(t: { host: string; port: number; user: string; region: string }): string {
    return [t.region, t.host.toLowerCase(), t.port, t.user, this.config.options.awsProfile ?? ''].join('|');
  }

  async credentials(request: CredentialRequest): Promise<Credentials> {
    const t = this.target(request);
    const token = await this.token(t);
    return { password: token, ...this.driverOptions() };
  }

  /** mysql2 answers RDS's `mysql_clear_password` request only when allowed to. */
  private driverOptions(): Pick<Credentials, 'driverOptions'> {
    if (this.engine !== 'mysql') return {};
    const plugins = (this.config.driverConfig as { authPlugins?: unknown }).authPlugins;
    if (plugins !== null && typeof plugins === 'object' && 'mysql_clear_password' in plugins) return {};
    return { driverOptions: { enableCleartextPlugin: true } };
  }

  private token(t: { host: string; port: number; user: string; region: string }): Promise<string> {
    const key = this.keyOf(t);
    const now = this.now();
    let e = tokens.get(key);
    if (e?.token !== undefined && now < e.reuseUntil) return Promise.resolve(e.token);
    if (e?.pending !== undefined) return e.pending;
    if (e === undefined) {
      e = { token: undefined, reuseUntil: 0, pending: undefined };
    }
    const entry = e;
    tokens.set(key, entry);
    const pending = this.sign(t).then(
      (token) => {
        entry.token = token;
        entry.reuseUntil = this.now() + this.reuseMs;
        entry.pending = undefined;
        return token;
      },
      (err: unknown) => {
        entry.pending = undefined;
        throw err;
      },
    );
    entry.pending = pending;
    return pending;
  }

  private async sign(t: { host: string; port: number; user: string; region: string }): Promise<string> {
    this.signer ??= loadOptional(this.deps.load ?? requirePackage, SIGNER_PACKAGE, 'iam') as SignerModule;
    const where = `${hostKey({ host: t.host, port: t.port })} (user ${t.user}, region ${t.region})`;
    try {
      const signer = new this.signer.Signer({
        hostname: t.host,
        port: t.port,
        username: t.user,
        region: t.region,
        ...awsClientSettings(this.config.options),
      });
      const bound = this.deps.signTimeoutMs ?? SIGN_TIMEOUT_MS;
      return await withTimeout(signer.getAuthToken(), bound, 'IAM token signing');
    } catch (err) {
      throw new CredentialsUnavailableError(
        'awsCredentialsProvider',
        `Plugin \`iam\` could not sign a token for ${where}: ${err instanceof Error ? err.message : String(err)}. Check the AWS credentials (option awsCredentialsProvider / awsProfile, or the SDK's default chain).`,
        { cause: err },
      );
    }
  }

  refused(request: CredentialRequest, refused: Credentials): Promise<boolean> {
    const key = this.keyOf(this.target(request));
    const e = tokens.get(key);
    // Only the token that was refused is dropped: refusals of one token together drop it once.
    if (e !== undefined && e.token === refused.password && e.pending === undefined) {
      e.token = undefined;
      e.reuseUntil = 0;
    }
    return Promise.resolve(true);
  }
}

/** The `iam` source for one logical connection (validates TLS and the region now). */
export function createIamSource(
  config: ResolvedConfig,
  driver: DriverAdapter,
  deps: IamDeps = {},
): CredentialSource {
  return new IamSource(config, driver.engine, deps);
}
