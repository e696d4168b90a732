/**
 * Plugin `secretsManager` with the real `@aws-sdk/client-secrets-manager` against the emulator's
 * AWS-API server (`startAwsApiServer`, no engine): it reads a real secret through
 * `secretEndpoint` with explicit credentials, logs a logical connection in with it, follows a
 * rotation after a refused login with a bounded number of reads, and reports an unreachable
 * endpoint and refused AWS credentials as typed errors naming the option, without the secret.
 */
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { ConnectOptions, DriverAdapter } from '../../src/drivers/driver.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import { CredentialsUnavailableError } from '../../src/connection/credentials-aws.js';
import type { CredentialRequest } from '../../src/connection/credentials.js';
import { makeSecretsManagerPluginFactory } from '../../src/plugins/secrets-manager/secrets-manager-plugin-factory.js';
import {
  SECRETS_RETRY,
  clearSecrets,
  createSecretsSource,
} from '../../src/plugins/secrets-manager/secrets-source.js';
import { startAwsApiServer, type AwsApiServer } from '../../src/emulator/aws/aws-api-server.js';
import { AWSCURRENT, SecretsStore } from '../../src/emulator/aws/secrets-store.js';
import { createTestAwsAccount } from '../../src/emulator/aws/test-account.js';
import {
  MemoryCluster,
  MemoryDriver,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  sqlError,
  type MemoryConfig,
  type MemoryConnection,
} from '../support/memory-driver/index.js';
import { secretLeaks } from '../support/secret-leaks.js';

vi.setConfig({ testTimeout: 30_000 });

const account = createTestAwsAccount('eu-west-1');
const store = new SecretsStore(account);
const PW1 = 'first-Pa55-emulated';
const PW2 = 'second-Pa55-emulated';
const arn = store.createSecret(
  'emu/plugin',
  JSON.stringify({ username: 'app', password: PW1, engine: 'postgres' }),
);
let server: AwsApiServer;

const pgDriver = { engine: 'postgres' } as DriverAdapter;
const request: CredentialRequest = {
  host: { host: 'h', port: 5432 } as HostInfo,
  purpose: 'user',
  user: undefined,
  serverName: undefined,
  signal: undefined,
};

function options(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    secretId: arn,
    secretEndpoint: server.endpoint,
    awsCredentialsProvider: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    ...extra,
  };
}

/** Checks the password against what the "database" has now. */
class SecretDriver extends MemoryDriver {
  password = PW1;
  override connect(host: HostInfo, config: MemoryConfig, o?: ConnectOptions): Promise<MemoryConnection> {
    if (config.user !== 'app' || config.password !== this.password) {
      return Promise.reject(sqlError('28P01', 'password authentication failed for user "app"'));
    }
    return super.connect(host, config, o);
  }
}

beforeAll(async () => {
  server = await startAwsApiServer({ account, secrets: store });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await endAllClients();
  clearSecrets();
});

describe('secretsManager plugin with the real SDK against the emulator', () => {
  it('reads the secret (region from the ARN) once for many connections', async () => {
    const cluster = new MemoryCluster();
    const driver = new SecretDriver(cluster);
    const before = store.reads(arn);
    const sm = makeSecretsManagerPluginFactory();
    await Promise.all(
      Array.from({ length: 5 }, () =>
        connectedClient(cluster, { driver, plugins: [sm], options: options() }),
      ),
    );
    expect(store.reads(arn) - before).toBe(1);
  });

  it('rotation: the password changes on the database, AWSCURRENT moves later; refused logins re-read and log in', async () => {
    const cluster = new MemoryCluster();
    const driver = new SecretDriver(cluster);
    const sm = makeSecretsManagerPluginFactory();
    await connectedClient(cluster, { driver, plugins: [sm], options: options() });
    const before = store.reads(arn);
    driver.password = PW2;
    const version = store.putSecretValue(arn, JSON.stringify({ username: 'app', password: PW2 }));
    const moved = setTimeout(() => store.updateSecretVersionStage(arn, AWSCURRENT, version), 500);
    const clients = await Promise.all(
      Array.from({ length: 20 }, () =>
        connectedClient(cluster, { driver, plugins: [sm], options: options() }),
      ),
    );
    clearTimeout(moved);
    expect(clients).toHaveLength(20);
    // At most one re-read per second while refused, shared by all 20: the retries last < 23 s.
    const reads = store.reads(arn) - before;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(SECRETS_RETRY.retries + 1);
  });

  it('an unreachable endpoint: CredentialsUnavailableError naming secretEndpoint, within the bound', async () => {
    // A port that was free a moment ago: connection refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const s = createSecretsSource(
      resolveConfig('postgres', { host: 'h', ...options({ secretEndpoint: `http://127.0.0.1:${port}` }) }),
      pgDriver,
      { readTimeoutMs: 3_000 },
    );
    const t0 = Date.now();
    const err = errorOf(await outcome(s.credentials(request)));
    expect(Date.now() - t0).toBeLessThan(3_500);
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect((err as CredentialsUnavailableError).option).toBe('secretEndpoint');
    expect(secretLeaks(err, account.secretAccessKey)).toEqual([]);
  });

  it('AWS refuses the credentials: CredentialsUnavailableError naming secretId, no key in it', async () => {
    const wrong = 'wrong-secret-access-key-0123456789';
    const s = createSecretsSource(
      resolveConfig('postgres', {
        host: 'h',
        ...options({ awsCredentialsProvider: { accessKeyId: account.accessKeyId, secretAccessKey: wrong } }),
      }),
      pgDriver,
    );
    const err = errorOf(await outcome(s.credentials(request)));
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect((err as CredentialsUnavailableError).option).toBe('secretId');
    expect(secretLeaks(err, wrong)).toEqual([]);
    expect(secretLeaks(err, PW1)).toEqual([]);
  });

  it('a secret name (no ARN) with secretRegion', async () => {
    const s = createSecretsSource(
      resolveConfig('postgres', {
        host: 'h',
        ...options({ secretId: 'emu/plugin', secretRegion: account.region }),
      }),
      pgDriver,
    );
    expect(await s.credentials(request)).toEqual({ user: 'app', password: expect.any(String) });
  });
});
