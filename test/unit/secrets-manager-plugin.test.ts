/**
 * Plugin `secretsManager` (src/plugins/secrets-manager/) with a fake
 * `@aws-sdk/client-secrets-manager` (injected loader) over the in-memory driver: one read per
 * secret for the process, re-read after a refused login (rotation), single-flight under 50
 * concurrent refusals, the bound on retries, expiry, and every bad input as a typed error
 * naming the option or key, never the secret.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { ConnectOptions, DriverAdapter } from '../../src/drivers/driver.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import { CredentialsUnavailableError } from '../../src/connection/credentials-aws.js';
import type { CredentialRequest } from '../../src/connection/credentials.js';
import { makeSecretsManagerPluginFactory } from '../../src/plugins/secrets-manager/secrets-manager-plugin-factory.js';
import {
  SECRETS_PACKAGE,
  SECRETS_RETRY,
  clearSecrets,
  createSecretsSource,
  secretReads,
} from '../../src/plugins/secrets-manager/secrets-source.js';
import {
  MemoryCluster,
  MemoryDriver,
  connectedClient,
  endAllClients,
  errorOf,
  memoryClient,
  outcome,
  sqlError,
  until,
  type MemoryConfig,
  type MemoryConnection,
} from '../support/memory-driver/index.js';
import { secretLeaks } from '../support/secret-leaks.js';

vi.setConfig({ testTimeout: 30_000 });
afterEach(async () => {
  await endAllClients();
  clearSecrets();
});

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-creds-AbCdEf';
const PW1 = 'first-Pa55word-value';
const PW2 = 'second-Pa55word-value';

/** A fake SDK module whose secret a test sets; counts GetSecretValue calls. */
function fakeSdk(initial: Record<string, unknown> | string = { username: 'app', password: PW1 }) {
  const state = {
    secret: initial,
    reads: 0,
    configs: [] as Record<string, unknown>[],
    delayMs: 5,
    hang: false,
    fail: undefined as Error | undefined,
  };
  class GetSecretValueCommand {
    constructor(readonly input: { SecretId: string }) {}
  }
  class SecretsManagerClient {
    constructor(config: Record<string, unknown>) {
      state.configs.push(config);
    }
    async send(
      _cmd: GetSecretValueCommand,
      o?: { abortSignal?: AbortSignal },
    ): Promise<{ SecretString?: string }> {
      state.reads++;
      if (state.hang) {
        await new Promise((_r, reject) =>
          o?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      await new Promise((r) => setTimeout(r, state.delayMs));
      if (state.fail !== undefined) throw state.fail;
      return { SecretString: typeof state.secret === 'string' ? state.secret : JSON.stringify(state.secret) };
    }
    destroy(): void {}
  }
  const load = (name: string): unknown => {
    if (name !== SECRETS_PACKAGE) throw new Error(`unexpected package ${name}`);
    return { SecretsManagerClient, GetSecretValueCommand };
  };
  return { state, load };
}

/** Checks user and password like a server; `password` is what the database has now. */
class SecretDriver extends MemoryDriver {
  password = PW1;
  logins = 0;
  override connect(
    host: HostInfo,
    config: MemoryConfig,
    options?: ConnectOptions,
  ): Promise<MemoryConnection> {
    this.logins++;
    if (config.user !== 'app' || config.password !== this.password) {
      return Promise.reject(sqlError('28P01', 'password authentication failed for user "app"'));
    }
    return super.connect(host, config, options);
  }
}

const pgDriver = { engine: 'postgres' } as DriverAdapter;
const request: CredentialRequest = {
  host: { host: 'h', port: 5432 } as HostInfo,
  purpose: 'user',
  user: undefined,
  serverName: undefined,
  signal: undefined,
};

function configError(f: () => unknown): ConfigurationError {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

describe('secretsManager plugin over the memory driver', () => {
  it('one read for many connections; the secret’s user and password are used', async () => {
    const cluster = new MemoryCluster();
    const driver = new SecretDriver(cluster);
    const sdk = fakeSdk();
    const sm = makeSecretsManagerPluginFactory({ load: sdk.load });
    const options = { secretId: ARN, user: 'someone-else' };
    await Promise.all(
      Array.from({ length: 10 }, () => connectedClient(cluster, { driver, plugins: [sm], options })),
    );
    expect(sdk.state.reads).toBe(1);
    expect(sdk.state.configs[0]).toMatchObject({ region: 'eu-central-1' });
  });

  it('rotation: the database password changes first; 50 refused connects share one re-read and all log in', async () => {
    const cluster = new MemoryCluster();
    const driver = new SecretDriver(cluster);
    const sdk = fakeSdk();
    const sm = makeSecretsManagerPluginFactory({ load: sdk.load });
    await connectedClient(cluster, { driver, plugins: [sm], options: { secretId: ARN } });
    expect(sdk.state.reads).toBe(1);
    // The rotation set the new password on the database; AWSCURRENT moves 0.5 s later.
    driver.password = PW2;
    const moved = setTimeout(() => {
      sdk.state.secret = { username: 'app', password: PW2 };
    }, 500);
    const t0 = Date.now();
    const clients = await Promise.all(
      Array.from({ length: 50 }, () =>
        connectedClient(cluster, { driver, plugins: [sm], options: { secretId: ARN } }),
      ),
    );
    clearTimeout(moved);
    expect(clients).toHaveLength(50);
    // Re-reads are shared and at most one per second: within ~3.5 s of refusals, a handful.
    const elapsed = Date.now() - t0;
    expect(sdk.state.reads - 1).toBeGreaterThanOrEqual(1);
    expect(sdk.state.reads - 1).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000) + 1);
  });

  it('still refused after the bounded retries: the driver’s error, no failover, no endless loop', async () => {
    const cluster = new MemoryCluster();
    const driver = new SecretDriver(cluster);
    driver.password = 'never-in-the-secret';
    const sdk = fakeSdk();
    // A fake clock that moves 2 s per ms: every refusal may re-read.
    let now = 0;
    const retry = { ...SECRETS_RETRY, baseMs: 10, maxMs: 80 };
    const sm = makeSecretsManagerPluginFactory({ load: sdk.load, now: () => now, retry });
    const c = memoryClient(cluster, {
      driver,
      plugins: [failoverPluginFactory, sm],
      options: { secretId: ARN, enableConnectFailover: true },
    });
    const ticking = setInterval(() => (now += 2_000), 1);
    const err = errorOf(await outcome(c.lc.open()));
    clearInterval(ticking);
    expect((err as { code?: string }).code).toBe('28P01');
    expect(driver.logins).toBe(SECRETS_RETRY.retries + 1);
    // The first read, then at most one before and one after each pause.
    expect(sdk.state.reads).toBeLessThanOrEqual(2 * SECRETS_RETRY.retries + 1);
    expect(c.switches).toEqual([]);
    expect(secretLeaks(err, PW1)).toEqual([]);
  });

  it('missing package: ConfigurationError naming it', async () => {
    const cluster = new MemoryCluster();
    const sm = makeSecretsManagerPluginFactory({
      load: () => {
        throw new Error("Cannot find module '@aws-sdk/client-secrets-manager'");
      },
    });
    const c = memoryClient(cluster, { plugins: [sm], options: { secretId: ARN } });
    const err = errorOf(await outcome(c.lc.open()));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('@aws-sdk/client-secrets-manager');
  });
});

describe('secretsManager source', () => {
  it('expiry: re-read after secretExpirationSec', async () => {
    const sdk = fakeSdk();
    let now = 0;
    const s = createSecretsSource(
      resolveConfig('postgres', { host: 'h', secretId: ARN, secretExpirationSec: 60 }),
      pgDriver,
      {
        load: sdk.load,
        now: () => now,
      },
    );
    expect(await s.credentials(request)).toEqual({ user: 'app', password: PW1 });
    now = 59_999;
    await s.credentials(request);
    expect(sdk.state.reads).toBe(1);
    now = 60_000;
    await s.credentials(request);
    expect(sdk.state.reads).toBe(2);
  });

  it('region from secretRegion or the ARN; none → ConfigurationError naming secretRegion; no secretId → naming secretId', async () => {
    const sdk = fakeSdk();
    const s = createSecretsSource(
      resolveConfig('postgres', {
        host: 'h',
        secretsManagerSecretId: 'plain-name',
        secretsManagerRegion: 'sa-east-1',
      }),
      pgDriver,
      { load: sdk.load },
    );
    await s.credentials(request);
    expect(sdk.state.configs[0]).toMatchObject({ region: 'sa-east-1' });
    expect(
      configError(() =>
        createSecretsSource(resolveConfig('postgres', { host: 'h', secretId: 'plain-name' }), pgDriver),
      ).option,
    ).toBe('secretRegion');
    expect(
      configError(() => createSecretsSource(resolveConfig('postgres', { host: 'h' }), pgDriver)).option,
    ).toBe('secretId');
    expect(
      configError(() =>
        createSecretsSource(
          resolveConfig('postgres', { host: 'h', secretId: ARN, secretEndpoint: 'localhost:4566' }),
          pgDriver,
        ),
      ).option,
    ).toBe('secretEndpoint');
  });

  it('endpoint, explicit credentials and custom keys reach the client', async () => {
    const sdk = fakeSdk({ user_name: 'app', pass: PW1 });
    const provider = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret-key' };
    const s = createSecretsSource(
      resolveConfig('postgres', {
        host: 'h',
        secretId: ARN,
        secretEndpoint: 'http://127.0.0.1:4566',
        secretUsernameProperty: 'user_name',
        secretsManagerSecretPasswordProperty: 'pass',
        awsCredentialsProvider: provider,
      }),
      pgDriver,
      { load: sdk.load },
    );
    expect(await s.credentials(request)).toEqual({ user: 'app', password: PW1 });
    expect(sdk.state.configs[0]).toMatchObject({ endpoint: 'http://127.0.0.1:4566', credentials: provider });
  });

  it('a secret lacking the keys: ConfigurationError naming the key and the secret, never a value', async () => {
    for (const [secret, option] of [
      [{ user: 'app', password: PW1 }, 'secretUsernameProperty'],
      [{ username: 'app', pwd: PW1 }, 'secretPasswordProperty'],
      [`not json ${PW1}`, 'secretId'],
    ] as const) {
      clearSecrets();
      const s = createSecretsSource(resolveConfig('postgres', { host: 'h', secretId: ARN }), pgDriver, {
        load: fakeSdk(secret).load,
      });
      const err = errorOf(await outcome(s.credentials(request)));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe(option);
      expect((err as Error).message).toContain(ARN);
      expect(secretLeaks(err, PW1)).toEqual([]);
    }
  });

  it('an endpoint that never answers: CredentialsUnavailableError naming secretEndpoint, within the bound', async () => {
    const sdk = fakeSdk();
    sdk.state.hang = true;
    const s = createSecretsSource(
      resolveConfig('postgres', { host: 'h', secretId: ARN, secretEndpoint: 'http://10.255.255.1:4566' }),
      pgDriver,
      { load: sdk.load, readTimeoutMs: 200 },
    );
    const t0 = Date.now();
    const err = errorOf(await outcome(s.credentials(request)));
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect((err as CredentialsUnavailableError).option).toBe('secretEndpoint');
    expect((err as Error).message).toContain('http://10.255.255.1:4566');
  });

  it('an AWS error answer (access denied) names secretId', async () => {
    const sdk = fakeSdk();
    sdk.state.fail = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    const s = createSecretsSource(resolveConfig('postgres', { host: 'h', secretId: ARN }), pgDriver, {
      load: sdk.load,
    });
    const err = errorOf(await outcome(s.credentials(request)));
    expect((err as CredentialsUnavailableError).option).toBe('secretId');
  });

  it('concurrent first reads share one GetSecretValue', async () => {
    const sdk = fakeSdk();
    sdk.state.delayMs = 30;
    const config = resolveConfig('postgres', { host: 'h', secretId: ARN });
    const sources = Array.from({ length: 10 }, () =>
      createSecretsSource(config, pgDriver, { load: sdk.load }),
    );
    await Promise.all(sources.map((s) => s.credentials(request)));
    expect(sdk.state.reads).toBe(1);
    const before = secretReads();
    await sources[0]!.credentials(request);
    expect(secretReads()).toBe(before);
    await until(() => true, 'nothing');
  });
});
