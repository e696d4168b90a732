// createDriver(options) of aurora-ha/pg, aurora-ha/mysql2 and aurora-ha/mysql2/promise, without
// an engine: the bound module has the whole module's shape, only aurora-ha options can be bound
// (validated at once, never quoting a secret), and the merge under a connection's config keeps
// that config's own values (non-enumerable password, another spelling of a bound option, a
// connection string). That the bound options drive the connections is tested against a real
// engine in test/integration/orm-pg.test.ts.
import { inspect } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/index.js';
import auroraPg, { Client, Pool, createDriver } from '../../src/pg.js';
import auroraMysql, { createDriver as createMysqlDriver } from '../../src/mysql2.js';
import auroraMysqlPromise, { createDriver as createMysqlPromiseDriver } from '../../src/mysql2-promise.js';
import { bindOptions, withBound } from '../../src/facades/bound-options.js';
import { secretLeaks } from '../support/secret-leaks.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('createDriver of aurora-ha/pg', () => {
  it('is the whole module, with Client and Pool subclasses of ours (and of pg.Pool)', async () => {
    const driver = createDriver({ plugins: ['failover2'] });
    expect(Object.keys(driver).sort()).toEqual(Object.keys(auroraPg).sort());
    for (const key of Object.keys(pg)) expect(driver, key).toHaveProperty(key);
    expect(driver.types).toBe(pg.types);
    expect(driver.defaults).toBe(pg.defaults);
    expect(driver.Client).not.toBe(Client);
    expect(driver.Client.name).toBe('Client');
    const client = new driver.Client({ host: 'localhost', user: 'u' });
    expect(client).toBeInstanceOf(Client);
    expect(client.user).toBe('u');
    const pool = new driver.Pool({ host: 'localhost', max: 3 });
    expect(pool).toBeInstanceOf(Pool);
    expect(pool).toBeInstanceOf(pg.Pool);
    expect(pool.options.max).toBe(3);
    await pool.end();
  });

  it('rejects what is not an aurora-ha option, naming the key and never quoting its value', () => {
    const secret = 'hunter2-very-secret';
    const err = thrown(() => createDriver({ password: secret } as never));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('password');
    expect((err as Error).message).toMatch(/aurora-ha options only; `password`/);
    expect(secretLeaks(err, secret)).toEqual([]);
    const typo = thrown(() => createDriver({ plugin: ['failover2'] } as never));
    expect((typo as Error).message).toMatch(/did you mean `plugins`/);
  });

  it('validates the values at once, with the option named', () => {
    const err = thrown(() => createDriver({ plugins: ['failover', 'failover2'] }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('plugins');
    expect(thrown(() => createDriver({ failoverTimeoutMs: -1 }))).toBeInstanceOf(ConfigurationError);
    expect(thrown(() => createDriver('failover2' as never))).toBeInstanceOf(ConfigurationError);
  });

  it('holds no secret: the module and its classes print no password given to a connection', () => {
    const secret = 'pw-3f9a1c77e2';
    const driver = createDriver({ plugins: [] });
    const pool = new driver.Pool({ host: 'localhost', password: secret });
    expect(inspect(driver, { showHidden: true, depth: 4 })).not.toContain(secret);
    // pg-pool keeps the password non-enumerable; the merge kept it so.
    expect(Object.keys(pool.options)).not.toContain('password');
    void pool.end();
  });

  it('createDriver on a bound module binds both (the later one wins)', () => {
    const a = bindOptions('postgres', { plugins: ['failover2'], failoverTimeoutMs: 5000 });
    const merged = withBound(a, { failover_timeout_sec: 7 }) as Record<string, unknown>;
    expect(merged).toEqual({ plugins: ['failover2'], failover_timeout_sec: 7 });
    const driver = createDriver({ plugins: ['failover2'] }).createDriver({ plugins: [] });
    expect(Object.keys(driver)).toContain('createDriver');
  });
});

describe('withBound: the bound options under a connection config', () => {
  const bound = bindOptions('postgres', { plugins: ['failover2'], failoverTimeoutMs: 4000 });

  it('keeps the config own values, its non-enumerable password included', () => {
    const config = { host: 'h', failoverTimeoutMs: 9000 };
    Object.defineProperty(config, 'password', { value: 'pw', enumerable: false, writable: true });
    const merged = withBound(bound, config) as Record<string, unknown>;
    expect(merged.host).toBe('h');
    expect(merged.failoverTimeoutMs).toBe(9000);
    expect(merged.plugins).toEqual(['failover2']);
    expect(merged.password).toBe('pw');
    expect(Object.keys(merged)).not.toContain('password');
  });

  it('a bound option given by the config in another spelling is left out (no "given twice")', () => {
    const merged = withBound(bound, { wrapper_plugins: 'failover' }) as Record<string, unknown>;
    expect(merged).toEqual({ failoverTimeoutMs: 4000, wrapper_plugins: 'failover' });
  });

  it('a connection string goes to the driver URL key; no config at all gets the bound options', () => {
    expect(withBound(bound, 'postgres://u@h/db')).toEqual({
      plugins: ['failover2'],
      failoverTimeoutMs: 4000,
      connectionString: 'postgres://u@h/db',
    });
    const my = bindOptions('mysql', { plugins: [] });
    expect(withBound(my, 'mysql://u@h/db')).toEqual({ plugins: [], uri: 'mysql://u@h/db' });
    expect(withBound(bound, undefined)).toEqual({ plugins: ['failover2'], failoverTimeoutMs: 4000 });
  });

  it('nothing bound: the config itself, untouched', () => {
    const config = { host: 'h' };
    expect(withBound(bindOptions('postgres', {}), config)).toBe(config);
  });
});

describe('createDriver of aurora-ha/mysql2 and aurora-ha/mysql2/promise', () => {
  it('is the whole module; connections are ours (and mysql2 Connections)', () => {
    const driver = createMysqlDriver({ plugins: ['failover2'] });
    expect(Object.keys(driver).sort()).toEqual([...Object.keys(auroraMysql), 'createDriver'].sort());
    expect(driver.Types).toBe(mysql.Types);
    const promiseDriver = createMysqlPromiseDriver({ plugins: [] });
    expect(Object.keys(promiseDriver).sort()).toEqual(
      [...Object.keys(auroraMysqlPromise), 'createDriver'].sort(),
    );
    expect(promiseDriver.Connection).toBe(promiseDriver.PromiseConnection);
  });

  it('pool cluster nodes get the bound options', async () => {
    const driver = createMysqlDriver({ plugins: ['failover2'] });
    const cluster = driver.createPoolCluster();
    cluster.add('a', { host: 'localhost', user: 'u' });
    cluster.add({ host: 'localhost', user: 'v', plugins: [] });
    const nodes = (
      cluster as unknown as { _nodes: Record<string, { pool: { config: { auroraConfig: unknown } } }> }
    )._nodes;
    const configs = Object.values(nodes).map((n) => n.pool.config.auroraConfig);
    expect(configs).toEqual([
      { plugins: ['failover2'], host: 'localhost', user: 'u' },
      { host: 'localhost', user: 'v', plugins: [] },
    ]);
    await new Promise<void>((resolve) => cluster.end(() => resolve()));
  });

  it('rejects a password given to createDriver without quoting it', () => {
    const secret = 'my-sql-secret-81';
    const err = thrown(() => createMysqlDriver({ password: secret } as never));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(secretLeaks(err, secret)).toEqual([]);
  });
});
