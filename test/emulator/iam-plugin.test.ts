/**
 * Plugin `iam` with the real `@aws-sdk/rds-signer`: the token it hands a connect verifies with
 * the emulator's `verifyIamToken` for the host and port actually connected to (cluster
 * endpoint, an instance after failover) and the driver config's user, with the explicit test
 * credentials a test passes as `awsCredentialsProvider` (what `cluster.aws` gives). No engine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { ConnectOptions, DriverAdapter } from '../../src/drivers/driver.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import type { CredentialRequest } from '../../src/connection/credentials.js';
import { iamPluginFactory } from '../../src/plugins/iam/iam-plugin-factory.js';
import { clearIamTokens, createIamSource } from '../../src/plugins/iam/iam-source.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { verifyIamToken } from '../../src/emulator/aws/iam-token.js';
import { createTestAwsAccount } from '../../src/emulator/aws/test-account.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
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

vi.setConfig({ testTimeout: 30_000 });
afterEach(async () => {
  await endAllClients();
  clearIamTokens();
});

const account = createTestAwsAccount('us-east-1');
const credentials = { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey };

/** Logs in only with a token that verifies for the host and port connected to, as the emulator's gate does. */
class IamDriver extends MemoryDriver {
  readonly verdicts: string[] = [];
  override connect(host: HostInfo, config: MemoryConfig, o?: ConnectOptions): Promise<MemoryConnection> {
    const verdict = verifyIamToken(String(config.password), {
      hostNames: [host.host],
      port: host.port,
      user: 'app',
      account,
    });
    this.verdicts.push(verdict.ok ? 'ok' : verdict.reason);
    if (!verdict.ok) return Promise.reject(sqlError('28000', 'PAM authentication failed for user "app"'));
    return super.connect(host, config, o);
  }
}

describe('iam plugin with the real rds-signer', () => {
  it('the token verifies for the host, port and user connected to', async () => {
    const host = 'db.cluster-xyz.us-east-1.rds.amazonaws.com';
    const s = createIamSource(
      resolveConfig('postgres', { host, ssl: true, awsCredentialsProvider: credentials }),
      {
        engine: 'postgres',
      } as DriverAdapter,
    );
    const req: CredentialRequest = {
      host: { host, port: 5432 } as HostInfo,
      purpose: 'user',
      user: 'app',
      serverName: undefined,
      signal: undefined,
    };
    const { password } = await s.credentials(req);
    expect(verifyIamToken(password!, { hostNames: [host], port: 5432, user: 'app', account })).toEqual({
      ok: true,
    });
    const other = verifyIamToken(password!, {
      hostNames: ['other.example.com'],
      port: 5432,
      user: 'app',
      account,
    });
    expect(other.ok ? 'ok' : other.reason).toBe('wrong-host');
    const port = verifyIamToken(password!, { hostNames: [host], port: 5433, user: 'app', account });
    expect(port.ok ? 'ok' : port.reason).toBe('wrong-port');
  });

  it('every connect (initial, monitor, failover reconnect) logs in with a token for its own host', async () => {
    const cluster = new MemoryCluster();
    const driver = new IamDriver(cluster);
    const client = await connectedClient(cluster, {
      driver,
      plugins: [failover2PluginFactory, iamPluginFactory],
      options: { ssl: true, awsCredentialsProvider: credentials },
    });
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.failover('instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-2');
    expect(driver.verdicts.length).toBeGreaterThan(1);
    expect(driver.verdicts.every((v) => v === 'ok')).toBe(true);
  });
});
