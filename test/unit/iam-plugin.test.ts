/**
 * Plugin `iam` (src/plugins/iam/) with a fake `@aws-sdk/rds-signer` (injected loader) and a
 * fake clock, over the in-memory driver: the token is the password of every connect, signed
 * for the host and port connected to, reused until its reuse time, generated once for
 * concurrent connects, refreshed after a refusal; region resolution; and every bad input as
 * a typed error naming the option, with no secret in it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { ConnectOptions, DriverAdapter } from '../../src/drivers/driver.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import { CredentialsUnavailableError } from '../../src/connection/credentials-aws.js';
import type { CredentialRequest } from '../../src/connection/credentials.js';
import { makeIamPluginFactory } from '../../src/plugins/iam/iam-plugin-factory.js';
import {
  MAX_REUSE_MS,
  SIGNER_PACKAGE,
  clearIamTokens,
  createIamSource,
} from '../../src/plugins/iam/iam-source.js';
import {
  MemoryCluster,
  MemoryDriver,
  connectedClient,
  endAllClients,
  errorOf,
  memoryClient,
  outcome,
  sqlError,
  type MemoryConfig,
  type MemoryConnection,
} from '../support/memory-driver/index.js';
import { secretLeaks } from '../support/secret-leaks.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(async () => {
  await endAllClients();
  clearIamTokens();
});

const AWS_SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

interface Signed {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
  readonly credentials?: unknown;
}

/** A fake rds-signer module: tokens name what they were signed for, numbered. */
function fakeSigner(o: { delayMs?: number; fail?: Error } = {}): {
  load: (name: string) => unknown;
  signed: Signed[];
} {
  const signed: Signed[] = [];
  class Signer {
    constructor(private readonly c: Signed) {}
    async getAuthToken(): Promise<string> {
      signed.push(this.c);
      if (o.delayMs !== undefined) await new Promise((r) => setTimeout(r, o.delayMs));
      if (o.fail !== undefined) throw o.fail;
      return `${this.c.hostname}:${this.c.port}/?Action=connect&DBUser=${this.c.username}&X-Amz-Region=${this.c.region}&n=${signed.length}`;
    }
  }
  return {
    signed,
    load: (name) => {
      if (name !== SIGNER_PACKAGE) throw new Error(`unexpected package ${name}`);
      return { Signer };
    },
  };
}

/** Accepts a connect only when its password is a token signed for the host and port connected to. */
class TokenDriver extends MemoryDriver {
  refuseNext = 0;
  readonly passwords: string[] = [];
  override connect(
    host: HostInfo,
    config: MemoryConfig,
    options?: ConnectOptions,
  ): Promise<MemoryConnection> {
    const password = String(config.password);
    this.passwords.push(password);
    if (this.refuseNext > 0 || !password.startsWith(`${host.host}:${host.port}/`)) {
      this.refuseNext = Math.max(0, this.refuseNext - 1);
      return Promise.reject(sqlError('28000', 'PAM authentication failed for user "app"'));
    }
    return super.connect(host, config, options);
  }
}

function request(host: string, port = 5432, user: string | undefined = 'app'): CredentialRequest {
  return {
    host: { host, port } as HostInfo,
    purpose: 'user',
    user,
    serverName: undefined,
    signal: undefined,
  };
}

const pgDriver = { engine: 'postgres' } as DriverAdapter;
const mysqlDriver = { engine: 'mysql' } as DriverAdapter;
const RDS = 'db.cluster-abc123.eu-west-2.rds.amazonaws.com';

describe('iam plugin over the memory driver', () => {
  it('the token is the password, signed for the host connected to, reused, then re-signed after expiry', async () => {
    const cluster = new MemoryCluster();
    const driver = new TokenDriver(cluster);
    const signer = fakeSigner();
    let now = 1_000_000;
    const iam = makeIamPluginFactory({ load: signer.load, now: () => now });
    const options = { ssl: true, iamTokenExpiration: 60 };
    const a = await connectedClient(cluster, { driver, plugins: [iam], options });
    const b = await connectedClient(cluster, { driver, plugins: [iam], options });
    expect(a.instance()).toBe('instance-1');
    expect(b.instance()).toBe('instance-1');
    expect(signer.signed).toEqual([
      expect.objectContaining({
        hostname: cluster.endpoint,
        port: cluster.port,
        username: 'app',
        region: 'us-east-1',
      }),
    ]);
    // Another host, another token.
    await connectedClient(cluster, { driver, plugins: [iam], options, host: cluster.hostOf('instance-2') });
    expect(signer.signed.map((s) => s.hostname)).toEqual([cluster.endpoint, cluster.hostOf('instance-2')]);
    // Past iamTokenExpiration: a new token for the next connect.
    now += 60_000;
    await connectedClient(cluster, { driver, plugins: [iam], options });
    expect(signer.signed).toHaveLength(3);
    expect(driver.passwords.at(-1)).toMatch(/&n=3$/);
  });

  it('concurrent connects share one token generation', async () => {
    const cluster = new MemoryCluster();
    const driver = new TokenDriver(cluster);
    const signer = fakeSigner({ delayMs: 20 });
    const iam = makeIamPluginFactory({ load: signer.load });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        connectedClient(cluster, { driver, plugins: [iam], options: { ssl: true } }),
      ),
    );
    expect(signer.signed).toHaveLength(1);
    expect(new Set(driver.passwords).size).toBe(1);
  });

  it('a refused token is replaced once and the login retried', async () => {
    const cluster = new MemoryCluster();
    const driver = new TokenDriver(cluster);
    driver.refuseNext = 1;
    const signer = fakeSigner();
    const iam = makeIamPluginFactory({ load: signer.load });
    const c = await connectedClient(cluster, { driver, plugins: [iam], options: { ssl: true } });
    expect(c.instance()).toBe('instance-1');
    expect(signer.signed).toHaveLength(2);
    expect(driver.passwords[0]).not.toBe(driver.passwords[1]);
  });

  it('a user never accepted: bounded retries, then the driver’s error', async () => {
    const cluster = new MemoryCluster();
    const driver = new TokenDriver(cluster);
    driver.refuseNext = 100;
    const signer = fakeSigner();
    const iam = makeIamPluginFactory({ load: signer.load });
    const c = memoryClient(cluster, {
      driver,
      plugins: [failoverPluginFactory, iam],
      options: { ssl: true },
    });
    const err = errorOf(await outcome(c.lc.open()));
    expect((err as { code?: string }).code).toBe('28000');
    expect(driver.passwords).toHaveLength(3);
    expect(c.switches).toEqual([]);
    for (const token of driver.passwords) expect(secretLeaks(err, token)).toEqual([]);
  });

  it('missing package: ConfigurationError naming it, at connect', async () => {
    const cluster = new MemoryCluster();
    const iam = makeIamPluginFactory({
      load: () => {
        throw Object.assign(new Error("Cannot find module '@aws-sdk/rds-signer'"), {
          code: 'MODULE_NOT_FOUND',
        });
      },
    });
    const c = memoryClient(cluster, { plugins: [iam], options: { ssl: true } });
    const err = errorOf(await outcome(c.lc.open()));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('@aws-sdk/rds-signer');
    expect((err as Error).message).toContain('npm install');
  });
});

describe('iam source', () => {
  it('region: iamRegion, else the host connected to, else the initial host; none → ConfigurationError naming iamRegion', async () => {
    const signer = fakeSigner();
    const config = resolveConfig('postgres', { host: RDS, ssl: true });
    const s = createIamSource(config, pgDriver, { load: signer.load });
    await s.credentials(request(RDS));
    await s.credentials(request('inst-1.abc123.ap-south-1.rds.amazonaws.com'));
    await s.credentials(request('10.1.2.3'));
    expect(signer.signed.map((x) => x.region)).toEqual(['eu-west-2', 'ap-south-1', 'eu-west-2']);

    const explicit = createIamSource(
      resolveConfig('postgres', { host: RDS, ssl: true, iamRegion: 'us-west-1' }),
      pgDriver,
      {
        load: signer.load,
      },
    );
    await explicit.credentials(request('10.9.9.9'));
    expect(signer.signed.at(-1)?.region).toBe('us-west-1');

    const e = (() => {
      try {
        createIamSource(resolveConfig('postgres', { host: 'db.example.com', ssl: true }), pgDriver);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as ConfigurationError).option).toBe('iamRegion');
  });

  it('iamHost / iamDefaultPort replace the host and port signed for; a probe of an address signs for its server name', async () => {
    const signer = fakeSigner();
    const s = createIamSource(
      resolveConfig('postgres', {
        host: RDS,
        ssl: true,
        iamHost: 'proxy.example.com',
        iamDefaultPort: 6543,
        iamRegion: 'us-east-2',
      }),
      pgDriver,
      { load: signer.load },
    );
    await s.credentials(request(RDS, 5432));
    expect(signer.signed[0]).toMatchObject({ hostname: 'proxy.example.com', port: 6543 });
    const plain = createIamSource(resolveConfig('postgres', { host: RDS, ssl: true }), pgDriver, {
      load: signer.load,
    });
    await plain.credentials({
      ...request('10.0.0.7', 5432),
      serverName: 'inst-2.abc123.eu-west-2.rds.amazonaws.com',
    });
    expect(signer.signed.at(-1)?.hostname).toBe('inst-2.abc123.eu-west-2.rds.amazonaws.com');
  });

  it('token reuse is capped at 840 s whatever iamTokenExpiration says', async () => {
    const signer = fakeSigner();
    let now = 0;
    const s = createIamSource(
      resolveConfig('postgres', { host: RDS, ssl: true, iamTokenExpiration: 3600 }),
      pgDriver,
      {
        load: signer.load,
        now: () => now,
      },
    );
    await s.credentials(request(RDS));
    now = MAX_REUSE_MS - 1;
    await s.credentials(request(RDS));
    expect(signer.signed).toHaveLength(1);
    now = MAX_REUSE_MS;
    await s.credentials(request(RDS));
    expect(signer.signed).toHaveLength(2);
  });

  it('credentials from awsCredentialsProvider reach the signer; mysql2 gets enableCleartextPlugin unless it has its own plugin', async () => {
    const signer = fakeSigner();
    const provider = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: AWS_SECRET };
    const my = createIamSource(
      resolveConfig('mysql', {
        host: RDS,
        ssl: { rejectUnauthorized: true },
        user: 'app',
        awsCredentialsProvider: provider,
      }),
      mysqlDriver,
      { load: signer.load },
    );
    const creds = await my.credentials(request(RDS, 3306));
    expect(signer.signed[0]?.credentials).toBe(provider);
    expect(creds.driverOptions).toEqual({ enableCleartextPlugin: true });
    const own = createIamSource(
      resolveConfig('mysql', {
        host: RDS,
        ssl: {},
        authPlugins: { mysql_clear_password: () => () => Buffer.alloc(0) },
      }),
      mysqlDriver,
      { load: signer.load },
    );
    expect((await own.credentials(request(RDS, 3306))).driverOptions).toBeUndefined();
  });

  it('no TLS: ConfigurationError naming ssl (pg and mysql2)', () => {
    for (const [engine, driver] of [
      ['postgres', pgDriver],
      ['mysql', mysqlDriver],
    ] as const) {
      let err: unknown;
      try {
        createIamSource(resolveConfig(engine, { host: RDS, user: 'app' }), driver);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe('ssl');
    }
  });

  it('no user: ConfigurationError naming user', async () => {
    const s = createIamSource(resolveConfig('postgres', { host: RDS, ssl: true }), pgDriver, {
      load: fakeSigner().load,
    });
    const err = errorOf(await outcome(s.credentials({ ...request(RDS), user: undefined })));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('user');
  });

  it('a signing failure is a CredentialsUnavailableError with no AWS secret in it', async () => {
    const provider = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: AWS_SECRET };
    const s = createIamSource(
      resolveConfig('postgres', { host: RDS, ssl: true, awsCredentialsProvider: provider }),
      pgDriver,
      { load: fakeSigner({ fail: new Error('Could not load credentials from any providers') }).load },
    );
    const err = errorOf(await outcome(s.credentials(request(RDS))));
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect((err as CredentialsUnavailableError).option).toBe('awsCredentialsProvider');
    expect(secretLeaks(err, AWS_SECRET)).toEqual([]);
  });

  it('a bad awsCredentialsProvider is refused by name, without its secret', () => {
    let err: unknown;
    try {
      resolveConfig('postgres', {
        host: RDS,
        awsCredentialsProvider: { accessKeyId: 'A', secretAccessKey: 7, x: AWS_SECRET },
      });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigurationError).option).toBe('awsCredentialsProvider');
    expect(secretLeaks(err, AWS_SECRET)).toEqual([]);
    let fromUrl: unknown;
    try {
      resolveConfig('postgres', `postgres://h/db?awsCredentialsProvider=${AWS_SECRET}`);
    } catch (e) {
      fromUrl = e;
    }
    expect((fromUrl as ConfigurationError).option).toBe('awsCredentialsProvider');
    expect(secretLeaks(fromUrl, AWS_SECRET)).toEqual([]);
  });

  it('AWS names are accepted: iamTokenExpiration in seconds, iamDefaultPort as a port', () => {
    const o = resolveConfig('postgres', { host: RDS, iamTokenExpiration: 30, iamDefaultPort: 6432 }).options;
    expect(o.iamTokenExpirationMs).toBe(30_000);
    expect(o.iamDefaultPort).toBe(6432);
    expect(resolveConfig('postgres', { host: RDS, plugins: 'iam,failover2' }).options.plugins).toEqual([
      'iam',
      'failover2',
    ]);
    expect(() => resolveConfig('postgres', { host: RDS, plugins: ['iam', 'secretsManager'] })).toThrow(
      ConfigurationError,
    );
  });
});
