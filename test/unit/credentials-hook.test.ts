/**
 * The credentials hook (src/connection/credentials.ts) over the in-memory driver, through real
 * logical connections: every connect path asks the source (initial, failover2 monitor,
 * failover reconnect), a refused login refreshes and retries a bounded number of times, a
 * login refusal never starts a failover, and without a credential plugin nothing is wrapped.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
import type { ConnectOptions } from '../../src/drivers/driver.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import { hostKey } from '../../src/drivers/host-info.js';
import type { PluginFactory } from '../../src/connection/plugin.js';
import type { CredentialRequest, CredentialSource, Credentials } from '../../src/connection/credentials.js';
import { applyCredentials, withCredentialSource } from '../../src/connection/credentials.js';
import { configuredUser, tlsConfigured } from '../../src/connection/credentials-config.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
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

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

/** A memory driver that checks the password like a server: refused with 28P01 unless accepted. */
class PasswordDriver extends MemoryDriver {
  accepted = new Set<string>(['pw-1']);
  readonly seen: { host: string; purpose: string; password: unknown }[] = [];

  override connect(
    host: HostInfo,
    config: MemoryConfig,
    options?: ConnectOptions,
  ): Promise<MemoryConnection> {
    const password = config.password;
    this.seen.push({ host: hostKey(host), purpose: options?.purpose ?? 'user', password });
    if (typeof password !== 'string' || !this.accepted.has(password)) {
      return Promise.reject(sqlError('28P01', 'password authentication failed for user "app"'));
    }
    return super.connect(host, config, options);
  }
}

/** A source handing out `current`, counting requests by purpose; `refused` moves to `next`. */
class FakeSource implements CredentialSource {
  readonly code = 'fake';
  retry = { retries: 3, baseMs: 1, maxMs: 2, low: 0.5, high: 1 };
  current = 'pw-1';
  next: string | undefined;
  readonly requests: CredentialRequest[] = [];
  refusals = 0;

  credentials(request: CredentialRequest): Promise<Credentials> {
    this.requests.push(request);
    return Promise.resolve({ password: this.current });
  }

  refused(): Promise<boolean> {
    this.refusals++;
    if (this.next !== undefined) this.current = this.next;
    return Promise.resolve(true);
  }

  purposes(): string[] {
    return this.requests.map((r) => r.purpose);
  }
}

function factoryOf(source: FakeSource): PluginFactory {
  return {
    code: 'fakeCredentials',
    aliases: [],
    weight: 50,
    create: () => ({ code: 'fakeCredentials', subscribes: [] }),
    credentials: () => source,
  };
}

describe('credentials hook', () => {
  it('without a credential plugin the driver is not wrapped', () => {
    const cluster = new MemoryCluster();
    const driver = new MemoryDriver(cluster);
    const client = memoryClient(cluster, { driver, plugins: ['failover'] });
    expect(client.lc.service.driver).toBe(driver);
    const none = memoryClient(cluster, { driver, plugins: [] });
    expect(none.lc.service.driver).toBe(driver);
  });

  it('initial connect, the failover2 monitor and failover reconnects each ask the source, for the host connected to', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    const source = new FakeSource();
    const client = await connectedClient(cluster, {
      driver,
      plugins: [failover2PluginFactory, factoryOf(source)],
    });
    expect(source.requests[0]?.purpose).toBe('user');
    expect(source.requests[0]?.host.host).toBe(cluster.endpoint);
    expect(source.requests[0]?.user).toBe('app');
    await until(() => source.purposes().includes('monitor'), 'the monitor asking for credentials');

    // The password changes on the server: the source rotates when told of a refusal.
    driver.accepted = new Set(['pw-2']);
    source.next = 'pw-2';
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.failover('instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-2');
    expect(source.purposes()).toContain('failover');
    // Every connect the driver saw carried a password the source handed out just before.
    for (const s of driver.seen) expect(['pw-1', 'pw-2']).toContain(s.password);
    expect(driver.seen.filter((s) => s.purpose === 'failover').at(-1)?.password).toBe('pw-2');
    expect(source.requests.length).toBe(driver.seen.length);
    expect(source.refusals).toBeGreaterThan(0);
  });

  it('a refused login refreshes the credentials and retries', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    driver.accepted = new Set(['pw-2']);
    const source = new FakeSource();
    source.next = 'pw-2';
    const client = await connectedClient(cluster, { driver, plugins: [factoryOf(source)] });
    expect(client.instance()).toBe('instance-1');
    expect(source.refusals).toBe(1);
    expect(driver.seen.map((s) => s.password)).toEqual(['pw-1', 'pw-2']);
  });

  it('retries are bounded: still refused → the driver’s authentication error, no failover, no dead host', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    driver.accepted = new Set();
    const source = new FakeSource();
    const client = memoryClient(cluster, {
      driver,
      plugins: [failoverPluginFactory, factoryOf(source)],
      options: { enableConnectFailover: true },
    });
    const err = errorOf(await outcome(client.lc.open()));
    expect((err as { code?: string }).code).toBe('28P01');
    expect(client.lc.service.classify(err)).toBe('login');
    // First attempt + `retries` retries, all to the host asked for: no failover, no other host.
    expect(driver.seen).toHaveLength(source.retry.retries + 1);
    expect(new Set(driver.seen.map((s) => s.host))).toEqual(
      new Set([hostKey({ host: cluster.endpoint, port: cluster.port })]),
    );
    // Told before and after each pause (nothing fresher came): twice per retry.
    expect(source.refusals).toBe(2 * source.retry.retries);
    expect(client.switches).toEqual([]);
    expect(client.failed).toEqual([]);
  });

  it('a source that has nothing fresher ends the retries at once', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    driver.accepted = new Set();
    const source = new FakeSource();
    source.refused = () => Promise.resolve(false);
    const client = memoryClient(cluster, { driver, plugins: [factoryOf(source)] });
    expect((errorOf(await outcome(client.lc.open())) as { code?: string }).code).toBe('28P01');
    expect(driver.seen).toHaveLength(1);
  });

  it('a connect bound (timeoutMs) is kept: no retry that would end past it', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    driver.accepted = new Set();
    const source = new FakeSource();
    source.retry = { retries: 5, baseMs: 200, maxMs: 200, low: 1, high: 1.01 };
    const wrapped = withCredentialSource(driver, source);
    const t0 = Date.now();
    const r = await outcome(
      wrapped.connect({ host: cluster.endpoint, port: cluster.port } as HostInfo, {}, { timeoutMs: 300 }),
    );
    expect((errorOf(r) as { code?: string }).code).toBe('28P01');
    expect(Date.now() - t0).toBeLessThan(300);
    expect(driver.seen).toHaveLength(2);
  });

  it('an aborted connect stops retrying', async () => {
    const cluster = new MemoryCluster();
    const driver = new PasswordDriver(cluster);
    driver.accepted = new Set();
    const source = new FakeSource();
    source.retry = { retries: 5, baseMs: 5_000, maxMs: 5_000, low: 1, high: 1.01 };
    const wrapped = withCredentialSource(driver, source);
    const abort = new AbortController();
    const p = outcome(
      wrapped.connect(
        { host: cluster.endpoint, port: cluster.port } as HostInfo,
        {},
        { signal: abort.signal },
      ),
    );
    await until(() => source.refusals === 1, 'the first refusal');
    abort.abort();
    expect((errorOf(await p) as { code?: string }).code).toBe('28P01');
    expect(driver.seen).toHaveLength(1);
  });

  it('non-login errors are not retried', async () => {
    const cluster = new MemoryCluster();
    const driver = new MemoryDriver(cluster);
    cluster.instance('instance-1').connectMode = 'refuse';
    const source = new FakeSource();
    const wrapped = withCredentialSource(driver, source);
    const r = await outcome(
      wrapped.connect({ host: cluster.hostOf('instance-1'), port: cluster.port } as HostInfo, {}),
    );
    expect((errorOf(r) as { code?: string }).code).toBe('ECONNREFUSED');
    expect(source.refusals).toBe(0);
    expect(driver.connectCount).toBe(1);
  });
});

describe('credentials in driver configs', () => {
  it('pg: the password reaches the fields and a connection string’s userinfo', () => {
    expect(applyCredentials(pgAdapter, { user: 'u', password: 'old' }, { password: 'new' })).toEqual({
      user: 'u',
      password: 'new',
    });
    const url = applyCredentials(
      pgAdapter,
      { connectionString: 'postgres://u:old@h:5432/db?x=1' },
      { password: 'n/w@' },
    );
    expect(url.connectionString).toBe('postgres://u:n%2Fw%40@h:5432/db?x=1');
    expect(
      applyCredentials(pgAdapter, { connectionString: 'postgres://h/db' }, { password: 'p' })
        .connectionString,
    ).toBe('postgres://h/db');
    const both = applyCredentials(
      pgAdapter,
      { connectionString: 'postgres://u@h/db' },
      { user: 'v', password: 'p' },
    );
    expect(both.connectionString).toBe('postgres://v:p@h/db');
  });

  it('reads the user and TLS from objects and connection strings of both drivers', () => {
    expect(configuredUser('postgres', { user: 'a' })).toBe('a');
    expect(configuredUser('postgres', { user: 'a', connectionString: 'postgres://b:x@h/db' })).toBe('b');
    expect(configuredUser('mysql', { uri: 'mysql://c@h/db' })).toBe('c');
    expect(configuredUser('mysql', {})).toBeUndefined();
    expect(tlsConfigured('postgres', { ssl: true })).toBe(true);
    expect(tlsConfigured('postgres', { ssl: { ca: 'x' } })).toBe(true);
    expect(tlsConfigured('postgres', { ssl: false })).toBe(false);
    expect(tlsConfigured('postgres', { connectionString: 'postgres://h/db?sslmode=verify-full' })).toBe(true);
    expect(tlsConfigured('postgres', { connectionString: 'postgres://h/db?sslmode=prefer' })).toBe(false);
    expect(tlsConfigured('postgres', {})).toBe(false);
    expect(tlsConfigured('mysql', { ssl: { ca: 'x' } })).toBe(true);
    expect(tlsConfigured('mysql', { uri: 'mysql://h/db?ssl={"rejectUnauthorized":true}' })).toBe(true);
    expect(tlsConfigured('mysql', { host: 'h' })).toBe(false);
  });
});
