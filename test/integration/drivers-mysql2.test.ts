/**
 * The mysql2 adapter against real MariaDB instances of an emulated Aurora MySQL cluster
 * (writer + semi-sync replica): classification of real failures, transaction state from the
 * server status flags, session state round trips, bounded connects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionOptions } from 'mysql2';
import { mysql2Adapter } from '../../src/drivers/mysql2/mysql2-adapter.js';
import type { Mysql2PhysicalConnection } from '../../src/drivers/mysql2/mysql2-physical-connection.js';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { makeHost } from '../../src/drivers/host-info.js';
import type { EmulatedCluster, InstanceEndpoint } from '../../src/emulator.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', flavor: 'aurora', instances: 2 });
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
  extra: ConnectionOptions = {},
): Promise<Mysql2PhysicalConnection> {
  const c = cluster();
  const inst = instance(c, role);
  const conn = (await mysql2Adapter.connect(
    makeHost(inst.host, inst.port),
    { ...mysqlConfig(c, inst.host), ...extra },
    {
      timeoutMs: 5000,
    },
  )) as Mysql2PhysicalConnection;
  opened.push(conn);
  return conn;
}

/** A statement through the native callback API (the facade's path). */
function nativeQuery(conn: Mysql2PhysicalConnection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    conn.native.query(sql, (err: unknown, rows: unknown) => (err ? reject(err) : resolve(rows)));
  });
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('mysql2 adapter on real MariaDB', () => {
  it('connects to the instance named by the host, not the one in the driver config', async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    const { user, password, database } = c.credentials;
    const conn = await mysql2Adapter.connect(
      makeHost(reader.host, reader.port),
      {
        ...mysqlConfig(c),
        uri: `mysql://${user}:${encodeURIComponent(password)}@${c.writerEndpoint.host}:${c.writerEndpoint.port}/${database}`,
      },
      { timeoutMs: 5000 },
    );
    opened.push(conn);
    expect(await conn.queryRows('SELECT @@read_only')).toEqual([[1]]);
  });

  it('classifies a connection killed by KILL as network, and reports it to onError', async () => {
    const victim = await open();
    const killer = await open();
    const errors: Error[] = [];
    victim.onError((e) => errors.push(e));
    await killer.queryRows(`KILL ${victim.native.threadId}`);
    await expect.poll(() => victim.closed, { timeout: 3000 }).toBe(true);
    expect(errors.length).toBe(1);
    expect(mysql2Adapter.classify(errors[0])).toBe('network');
    const err = await errorOf(victim.queryRows('SELECT 1'));
    expect(mysql2Adapter.classify(err, victim)).toBe('network');
  });

  it('classifies a query in flight on a killed connection as network', async () => {
    const victim = await open();
    const killer = await open();
    const running = errorOf(victim.queryRows('SELECT SLEEP(10)'));
    await new Promise((r) => setTimeout(r, 100));
    await killer.queryRows(`KILL ${victim.native.threadId}`);
    expect(mysql2Adapter.classify(await running, victim)).toBe('network');
  });

  it('classifies a wrong password as login', async () => {
    const err = await errorOf(open('writer', { password: 'definitely-wrong' }));
    expect((err as { errno?: number }).errno).toBe(1045);
    expect(mysql2Adapter.classify(err)).toBe('login');
  });

  it('classifies a write on the replica as read-only', async () => {
    const conn = await open('reader');
    const err = await errorOf(conn.queryRows('CREATE TABLE drivers_mysql_ro (x int)'));
    expect([1290, 1836]).toContain((err as { errno?: number }).errno);
    expect(mysql2Adapter.classify(err, conn)).toBe('read-only');
  });

  it('classifies an ordinary SQL error as other', async () => {
    const conn = await open();
    expect(mysql2Adapter.classify(await errorOf(conn.queryRows('SELECT * FROM no_such_table')), conn)).toBe(
      'other',
    );
  });

  it('tracks transactions from the server status flags of OK and EOF packets', async () => {
    const conn = await open();
    await nativeQuery(conn, 'CREATE TABLE IF NOT EXISTS drivers_mysql_tx (x int) ENGINE=InnoDB');
    expect(conn.inTransaction()).toBe(false);
    await nativeQuery(conn, 'BEGIN');
    expect(conn.inTransaction()).toBe(true);
    await conn.queryRows('SELECT 1'); // EOF packet keeps the flag
    expect(conn.inTransaction()).toBe(true);
    await nativeQuery(conn, 'COMMIT');
    expect(conn.inTransaction()).toBe(false);
    await nativeQuery(conn, 'START TRANSACTION');
    await nativeQuery(conn, 'INSERT INTO drivers_mysql_tx VALUES (1)');
    await errorOf(nativeQuery(conn, 'INSERT INTO no_such_table VALUES (1)'));
    expect(conn.inTransaction()).toBe(true);
    await nativeQuery(conn, 'ROLLBACK');
    expect(conn.inTransaction()).toBe(false);
    // autocommit=0: a read of a table opens a transaction without any BEGIN in the SQL.
    await nativeQuery(conn, 'SET autocommit = 0');
    await conn.queryRows('SELECT count(*) FROM drivers_mysql_tx');
    expect(conn.inTransaction()).toBe(true);
    await nativeQuery(conn, 'COMMIT');
    expect(conn.inTransaction()).toBe(false);
    // Prepared statements (binary rows start with 0x00, like an OK packet) are read right too.
    const execute = (sql: string, values: number[]): Promise<unknown> =>
      new Promise((resolve, reject) => {
        conn.native.execute(sql, values, (err: unknown, rows: unknown) =>
          err ? reject(err) : resolve(rows),
        );
      });
    await execute('SELECT x FROM drivers_mysql_tx WHERE x >= ?', [0]);
    expect(conn.inTransaction()).toBe(true);
    await nativeQuery(conn, 'ROLLBACK');
    await execute('INSERT INTO drivers_mysql_tx VALUES (?)', [2]);
    expect(conn.inTransaction()).toBe(true);
    await nativeQuery(conn, 'ROLLBACK');
    expect(conn.inTransaction()).toBe(false);
  });

  it('round-trips session state between connections', async () => {
    const c = cluster();
    const source = await open();
    await mysql2Adapter.restoreSessionState(source, {
      autocommit: false,
      readOnly: true,
      isolationLevel: 'serializable',
      schema: 'information_schema',
    });
    const state = await mysql2Adapter.readSessionState(source);
    expect(state).toEqual({
      autocommit: false,
      readOnly: true,
      isolationLevel: 'serializable',
      schema: 'information_schema',
    });

    const target = await open();
    expect((await mysql2Adapter.readSessionState(target)).schema).toBe(c.credentials.database);
    await mysql2Adapter.restoreSessionState(target, state);
    expect(await mysql2Adapter.readSessionState(target)).toEqual(state);
  });

  it('sends a hostile database name as one quoted identifier', async () => {
    const conn = await open();
    await conn.queryRows('CREATE TABLE IF NOT EXISTS drivers_mysql_guard (x int)');
    const hostile = 'x`; DROP TABLE drivers_mysql_guard; -- we"ird';
    const err = await errorOf(mysql2Adapter.restoreSessionState(conn, { schema: hostile }));
    // Unknown database / access denied to it, not a syntax error: the server saw one identifier.
    expect([1044, 1049]).toContain((err as { errno?: number }).errno);
    expect(await conn.queryRows("SHOW TABLES LIKE 'drivers_mysql_guard'")).toEqual([['drivers_mysql_guard']]);
  });

  it('rejects within the timeout against a blackholed instance', async () => {
    const c = cluster();
    const reader = instance(c, 'reader');
    c.partition(reader.id, { mode: 'blackhole' });
    try {
      const started = Date.now();
      const err = await errorOf(
        mysql2Adapter.connect(makeHost(reader.host, reader.port), mysqlConfig(c, reader.host), {
          timeoutMs: 400,
        }),
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(1000);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(mysql2Adapter.classify(err)).toBe('network');
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
      expect(mysql2Adapter.classify(err, conn)).toBe('network');
      expect(conn.closed).toBe(true);
    } finally {
      c.heal(reader.id);
    }
  });

  it('close() ends the session on the server', async () => {
    const conn = await open();
    const observer = await open();
    const id = conn.native.threadId;
    await conn.close();
    expect(conn.closed).toBe(true);
    await expect
      .poll(
        async () =>
          (
            await observer.queryRows(`SELECT count(*) FROM information_schema.processlist WHERE id = ${id}`)
          )[0]?.[0],
        {
          timeout: 3000,
        },
      )
      .toBe(0);
  });
});
