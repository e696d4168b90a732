/**
 * The pg adapter against real PostgreSQL instances of an emulated Aurora cluster
 * (primary + hot standby): classification of real failures, transaction status from the
 * protocol, session state round trips, bounded connects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig } from 'pg';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import type { PgPhysicalConnection } from '../../src/drivers/pg/pg-physical-connection.js';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { makeHost } from '../../src/drivers/host-info.js';
import type { EmulatedCluster, InstanceEndpoint } from '../../src/emulator.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'postgres', flavor: 'aurora', instances: 2 });
const opened: PhysicalConnection[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

function instance(c: EmulatedCluster, role: 'writer' | 'reader'): InstanceEndpoint {
  const found = c.instances().find((i) => i.role === role);
  if (!found) throw new Error(`no ${role} instance`);
  return found;
}

async function open(
  role: 'writer' | 'reader' = 'writer',
  extra: ClientConfig = {},
): Promise<PgPhysicalConnection> {
  const c = cluster();
  const inst = instance(c, role);
  const conn = (await pgAdapter.connect(
    makeHost(inst.host, inst.port),
    { ...pgConfig(c, inst.host), ...extra },
    {
      timeoutMs: 5000,
    },
  )) as PgPhysicalConnection;
  opened.push(conn);
  return conn;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('pg adapter on real PostgreSQL', () => {
  it('connects to the instance named by the host, not the one in the driver config', async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    const conn = await pgAdapter.connect(
      makeHost(reader.host, reader.port),
      // The config (and its connection string) point at the writer: the adapter must override both.
      {
        ...pgConfig(c),
        connectionString: `postgres://${c.credentials.user}:${encodeURIComponent(c.credentials.password)}@${c.writerEndpoint.host}:${c.writerEndpoint.port}/${c.credentials.database}`,
      },
      { timeoutMs: 5000 },
    );
    opened.push(conn);
    expect(await conn.queryRows('SELECT pg_catalog.pg_is_in_recovery()')).toEqual([[true]]);
  });

  it('classifies a backend killed by pg_terminate_backend as network, and reports it to onError', async () => {
    const victim = await open();
    const killer = await open();
    const errors: Error[] = [];
    victim.onError((e) => errors.push(e));
    const [[pid]] = (await victim.queryRows('SELECT pg_backend_pid()')) as [[number]];
    await killer.queryRows(`SELECT pg_terminate_backend(${pid})`);
    // Idle socket lost: reported asynchronously, never thrown.
    await expect.poll(() => victim.closed, { timeout: 3000 }).toBe(true);
    expect(errors.length).toBe(1);
    expect(pgAdapter.classify(errors[0])).toBe('network');
    // The next call on the dead connection fails with a code-less pg error: still network.
    const err = await errorOf(victim.queryRows('SELECT 1'));
    expect(pgAdapter.classify(err, victim)).toBe('network');
  });

  it('classifies a query in flight on a terminated backend as network', async () => {
    const victim = await open();
    const killer = await open();
    const [[pid]] = (await victim.queryRows('SELECT pg_backend_pid()')) as [[number]];
    const running = errorOf(victim.queryRows('SELECT pg_sleep(10)'));
    await new Promise((r) => setTimeout(r, 100));
    await killer.queryRows(`SELECT pg_terminate_backend(${pid})`);
    expect(pgAdapter.classify(await running, victim)).toBe('network');
  });

  it('classifies a wrong password as login', async () => {
    const err = await errorOf(open('writer', { password: 'definitely-wrong' }));
    expect((err as { code?: string }).code).toMatch(/^28/);
    expect(pgAdapter.classify(err)).toBe('login');
  });

  it('classifies a write on the standby as read-only', async () => {
    const conn = await open('reader');
    const err = await errorOf(conn.queryRows('CREATE TABLE drivers_pg_ro (x int)'));
    expect((err as { code?: string }).code).toBe('25006');
    expect(pgAdapter.classify(err, conn)).toBe('read-only');
  });

  it('classifies an ordinary SQL error as other', async () => {
    const conn = await open();
    expect(pgAdapter.classify(await errorOf(conn.queryRows('SELECT * FROM no_such_table')), conn)).toBe(
      'other',
    );
  });

  it('tracks BEGIN / COMMIT / ROLLBACK and a failed transaction from ReadyForQuery', async () => {
    const conn = await open();
    expect(conn.inTransaction()).toBe(false);
    await conn.queryRows('BEGIN');
    expect(conn.transactionStatus).toBe('T');
    await conn.queryRows('COMMIT');
    expect(conn.inTransaction()).toBe(false);
    await conn.queryRows('BEGIN');
    await errorOf(conn.queryRows('SELECT 1/0'));
    // The error is delivered before ReadyForQuery; any later round trip sees 'E'.
    await errorOf(conn.queryRows('SELECT 1'));
    expect(conn.transactionStatus).toBe('E');
    expect(conn.inTransaction()).toBe(true);
    await conn.queryRows('ROLLBACK');
    expect(conn.transactionStatus).toBe('I');
    // Through the native client too (the facade's path).
    await conn.native.query('START TRANSACTION');
    expect(conn.inTransaction()).toBe(true);
    await conn.native.query('ROLLBACK');
    expect(conn.inTransaction()).toBe(false);
  });

  it('round-trips session state, including a schema name that needs quoting', async () => {
    const setup = await open();
    await setup.queryRows('CREATE SCHEMA IF NOT EXISTS "we""ird sch ema"');
    await setup.queryRows('CREATE TABLE IF NOT EXISTS "we""ird sch ema".marker (v text)');
    await setup.queryRows(`INSERT INTO "we""ird sch ema".marker VALUES ('found')`);

    const source = await open();
    await pgAdapter.restoreSessionState(source, {
      schema: 'we"ird sch ema',
      isolationLevel: 'repeatable read',
      readOnly: true,
    });
    const state = await pgAdapter.readSessionState(source);
    expect(state).toMatchObject({
      schema: 'we"ird sch ema',
      isolationLevel: 'repeatable read',
      readOnly: true,
    });

    const target = await open();
    await pgAdapter.restoreSessionState(target, state);
    expect(await pgAdapter.readSessionState(target)).toEqual(state);
    // The restored search_path really resolves unqualified names in that schema.
    expect(await target.queryRows('SELECT v FROM marker')).toEqual([['found']]);
    expect(await target.queryRows('SHOW transaction_isolation')).toEqual([['repeatable read']]);
  });

  it('restores a search_path with its fallbacks', async () => {
    const conn = await open();
    await pgAdapter.restoreSessionState(conn, { searchPath: '"we""ird sch ema", public' });
    expect(await conn.queryRows('SHOW search_path')).toEqual([['"we""ird sch ema", public']]);
  });

  it('rejects within the timeout against a blackholed instance and leaves no socket open', async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    c.partition(reader.id, { mode: 'blackhole' });
    try {
      const started = Date.now();
      const err = await errorOf(
        pgAdapter.connect(makeHost(reader.host, reader.port), pgConfig(c, reader.host), { timeoutMs: 400 }),
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(1000);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(pgAdapter.classify(err)).toBe('network');
    } finally {
      c.heal(reader.id);
    }
  });

  it("classifies pg's own connectionTimeoutMillis expiry as network", async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    c.partition(reader.id, { mode: 'blackhole' });
    try {
      const started = Date.now();
      const err = await errorOf(
        pgAdapter.connect(makeHost(reader.host, reader.port), {
          ...pgConfig(c, reader.host),
          connectionTimeoutMillis: 300,
        }),
      );
      expect(Date.now() - started).toBeLessThan(1000);
      expect(pgAdapter.classify(err)).toBe('network');
    } finally {
      c.heal(reader.id);
    }
  });

  it('aborts a connect through its signal', async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    c.partition(reader.id, { mode: 'blackhole' });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100).unref();
      const started = Date.now();
      const err = await errorOf(
        pgAdapter.connect(makeHost(reader.host, reader.port), pgConfig(c, reader.host), {
          signal: ac.signal,
        }),
      );
      expect(Date.now() - started).toBeLessThan(1000);
      expect((err as Error).name).toBe('AbortError');
    } finally {
      c.heal(reader.id);
    }
  });

  it('times out an internal query on a silent instance and drops the connection', async () => {
    const c = cluster();
    const conn = await open('reader');
    const reader = instance(c, 'reader');
    c.partition(reader.id, { mode: 'blackhole' });
    try {
      const err = await errorOf(conn.queryRows('SELECT 1', 300));
      expect(pgAdapter.classify(err, conn)).toBe('network');
      expect(conn.closed).toBe(true);
    } finally {
      c.heal(reader.id);
    }
  });

  it('close() ends the session on the server', async () => {
    const conn = await open();
    const observer = await open();
    const [[pid]] = (await conn.queryRows('SELECT pg_backend_pid()')) as [[number]];
    await conn.close();
    expect(conn.closed).toBe(true);
    await expect
      .poll(
        async () =>
          (await observer.queryRows(`SELECT count(*)::int FROM pg_stat_activity WHERE pid = ${pid}`))[0]?.[0],
        {
          timeout: 3000,
        },
      )
      .toBe(0);
  });
});
