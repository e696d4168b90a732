/**
 * `aurora-ha/mysql2` and `aurora-ha/mysql2/promise` against a real MariaDB (the emulator,
 * Aurora MySQL flavour): results, parameter binding, query options, driver errors,
 * transactions, ping, events, with `plugins: []` and the default plugins. Results and
 * errors are compared with what raw mysql2 returns for the same call.
 */
import rawMysql from 'mysql2';
import rawPromise from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/core/errors.js';
import mysql, { type Connection } from '../../src/mysql2.js';
import * as mysqlPromise from '../../src/mysql2-promise.js';
import type { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', instances: 1 });

type Rows = Record<string, unknown>[];

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

function errorFields(e: unknown): Record<string, unknown> {
  const x = e as Record<string, unknown>;
  return { message: x.message, code: x.code, errno: x.errno, sqlState: x.sqlState, sqlMessage: x.sqlMessage };
}

/** Promise of a callback-style call on our connection or mysql2's. */
function cb<T = unknown>(
  invoke: (done: (err: Error | null, result?: T, fields?: unknown) => void) => void,
): Promise<[T, unknown]> {
  return new Promise((resolve, reject) =>
    invoke((err, result, fields) => (err ? reject(err) : resolve([result as T, fields]))),
  );
}

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('mysql2 callback connection with %s', (_label, options) => {
  let conn: Connection;
  let raw: rawMysql.Connection;

  beforeAll(async () => {
    conn = mysql.createConnection({ ...mysqlConfig(cluster()), ...options });
    raw = rawMysql.createConnection(mysqlConfig(cluster()));
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      conn.once('error', reject);
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => conn.end(() => resolve()));
    await new Promise<void>((resolve) => raw.end(() => resolve()));
  });

  it('returns the same rows and fields as mysql2 for query and execute', async () => {
    const sql = 'SELECT ? + 1 AS n, ? AS t, CAST(? AS DECIMAL(5,2)) AS d';
    const params = [41, 'x', '1.5'];
    const [ours, oursFields] = await cb((d) => conn.query(sql, params, d));
    const [theirs, theirFields] = await cb((d) => raw.query(sql, params, d));
    expect(ours).toEqual(theirs);
    expect(JSON.stringify(oursFields)).toBe(JSON.stringify(theirFields));
    const [prepared] = await cb<Rows>((d) => conn.execute('SELECT ? * 2 AS v', [21], d));
    expect(prepared).toEqual([{ v: 42 }]);
  });

  it('treats a null callback as none, as mysql2 does: the command emits its rows and end', async () => {
    type Emitting = { on(event: string, fn: (x?: unknown) => void): unknown };
    const rowsOf = (c: { query(sql: string, values: unknown[], cb: null): unknown }): Promise<unknown[]> =>
      new Promise((resolve, reject) => {
        const rows: unknown[] = [];
        const q = c.query('SELECT ? AS v', [7], null) as Emitting;
        q.on('result', (row) => rows.push(row));
        q.on('error', (err) => reject(err));
        q.on('end', () => resolve(rows));
      });
    const theirs = await rowsOf(
      raw as unknown as { query(sql: string, values: unknown[], cb: null): unknown },
    );
    const ours = await rowsOf(
      conn as unknown as { query(sql: string, values: unknown[], cb: null): unknown },
    );
    expect(theirs).toEqual([{ v: 7 }]);
    expect(ours).toEqual(theirs);
  });

  it('passes query options through (rowsAsArray, typeCast)', async () => {
    const [arr] = await cb((d) => conn.query({ sql: 'SELECT 1 AS a, ? AS b', rowsAsArray: true }, ['z'], d));
    expect(arr).toEqual([[1, 'z']]);
    const [cast] = await cb((d) =>
      conn.query(
        {
          sql: 'SELECT 7 AS i',
          typeCast: (field: { type: string; string(): string | null }, next: () => unknown) =>
            field.type === 'LONGLONG' || field.type === 'LONG' ? `int:${field.string() ?? ''}` : next(),
        },
        d,
      ),
    );
    expect(cast).toEqual([{ i: 'int:7' }]);
  });

  it('passes mysql2 errors through unchanged', async () => {
    const sql = 'SELECT * FROM no_such_table_aurora_ha';
    const [ours, theirs] = await Promise.all([
      rejection(cb((d) => conn.query(sql, d))),
      rejection(cb((d) => raw.query(sql, d))),
    ]);
    expect(ours).toBeInstanceOf((theirs as object).constructor);
    expect((ours as { errno?: number }).errno).toBe(1146);
    expect(errorFields(ours)).toEqual(errorFields(theirs));
    const [ok] = await cb((d) => conn.query('SELECT 1 AS ok', d));
    expect(ok).toEqual([{ ok: 1 }]);
  });

  it('runs transactions and ping through the connection', async () => {
    await cb((d) => conn.query('CREATE TEMPORARY TABLE IF NOT EXISTS tx_probe (v INT) ENGINE=InnoDB', d));
    await cb((d) => conn.beginTransaction(d));
    await cb((d) => conn.query('INSERT INTO tx_probe VALUES (1)', d));
    await cb((d) => conn.rollback(d));
    await cb((d) => conn.beginTransaction(d));
    await cb((d) => conn.query('INSERT INTO tx_probe VALUES (2)', d));
    await cb((d) => conn.commit(d));
    const [rows] = await cb((d) => conn.query('SELECT v FROM tx_probe', d));
    expect(rows).toEqual([{ v: 2 }]);
    await cb((d) => conn.ping(d));
  });

  it('escapes like mysql2', () => {
    expect(conn.escape("it's")).toBe(raw.escape("it's"));
    expect(conn.escapeId('we`ird')).toBe(raw.escapeId('we`ird'));
    expect(conn.format('SELECT ?', [1])).toBe(raw.format('SELECT ?', [1]));
  });
});

describe('mysql2 callback connection lifecycle', () => {
  it('runs calls made before the handshake, emits end once, then rejects with ConnectionClosedError', async () => {
    const conn = mysql.createConnection({ ...mysqlConfig(cluster()), plugins: [] });
    let ends = 0;
    conn.on('end', () => ends++);
    const [rows] = await cb((d) => conn.query('SELECT 5 AS early', d));
    expect(rows).toEqual([{ early: 5 }]);
    await new Promise<void>((resolve) => conn.end(() => resolve()));
    await new Promise<void>((resolve) => conn.end(() => resolve()));
    expect(ends).toBe(1);
    expect(await rejection(cb((d) => conn.query('SELECT 1', d)))).toBeInstanceOf(ConnectionClosedError);
  });

  it('reports a login failure to connect() with mysql2 errno 1045', async () => {
    const conn = mysql.createConnection({ ...mysqlConfig(cluster()), password: 'wrong-password' });
    conn.on('error', () => undefined);
    const err = await new Promise<unknown>((resolve) => conn.connect((e) => resolve(e)));
    expect((err as { errno?: number }).errno).toBe(1045);
    expect(String((err as Error).message)).not.toContain('wrong-password');
  });
});

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('mysql2/promise connection with %s', (_label, options) => {
  let conn: PromiseConnection;
  let raw: rawPromise.Connection;

  beforeAll(async () => {
    [conn, raw] = await Promise.all([
      mysqlPromise.createConnection({ ...mysqlConfig(cluster()), ...options }),
      rawPromise.createConnection(mysqlConfig(cluster())),
    ]);
  });

  afterAll(async () => {
    await Promise.all([conn.end(), raw.end()]);
  });

  it('returns [rows, fields] exactly like mysql2/promise', async () => {
    const sql = 'SELECT ? + 1 AS n, ? AS t';
    const ours = (await conn.query(sql, [1, 'a'])) as [unknown, unknown];
    const theirs = await raw.query(sql, [1, 'a']);
    expect(ours[0]).toEqual(theirs[0]);
    expect(JSON.stringify(ours[1])).toBe(JSON.stringify(theirs[1]));
    const [exec] = (await conn.execute('SELECT ? AS v', [7])) as [unknown, unknown];
    expect(exec).toEqual([{ v: 7 }]);
  });

  it('rejects with the same error as mysql2/promise', async () => {
    const sql = 'SELECT * FROM no_such_table_aurora_ha';
    const [ours, theirs] = await Promise.all([rejection(conn.execute(sql)), rejection(raw.execute(sql))]);
    expect(ours).toBeInstanceOf((theirs as object).constructor);
    expect(errorFields(ours)).toEqual(errorFields(theirs));
    expect((ours as { sql?: string }).sql).toBe((theirs as { sql?: string }).sql);
  });

  it('runs transactions, ping and changeUser', async () => {
    await conn.query('CREATE TEMPORARY TABLE IF NOT EXISTS tx_probe (v INT) ENGINE=InnoDB');
    await conn.beginTransaction();
    await conn.query('INSERT INTO tx_probe VALUES (1)');
    await conn.rollback();
    await conn.beginTransaction();
    await conn.query('INSERT INTO tx_probe VALUES (3)');
    await conn.commit();
    const [rows] = (await conn.query('SELECT v FROM tx_probe')) as [unknown, unknown];
    expect(rows).toEqual([{ v: 3 }]);
    await conn.ping();
  });

  it('rejects calls after end() with ConnectionClosedError', async () => {
    const c = await mysqlPromise.createConnection({ ...mysqlConfig(cluster()), ...options });
    await c.end();
    await c.end();
    expect(await rejection(c.query('SELECT 1'))).toBeInstanceOf(ConnectionClosedError);
  });
});
