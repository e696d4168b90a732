/**
 * ORMs on `aurora-ha/mysql2`, plugged in exactly as each documents for a custom mysql2 module or
 * pool (no shim), against real MariaDB through the emulator, default plugins: CRUD, a committed
 * and a rolled-back transaction, and a driver error that comes through the ORM as mysql2's.
 * Knex (its own mysql2 client with `_driver()` returning aurora-ha/mysql2, and Knex 3.3's
 * `connectionPool` with an aurora-ha pool), Kysely (`MysqlDialect({ pool })`), Drizzle
 * (`drizzle-orm/mysql2` with an aurora-ha/mysql2/promise pool), Sequelize (`dialectModule`),
 * TypeORM (`driver`). The apps are in test/support/orm-mysql-apps.ts (docs/orms.md's snippets).
 */
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isFailoverError } from '../../src/index.js';
import type { Pool } from '../../src/mysql2.js';
import auroraMysqlPromise from '../../src/mysql2-promise.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';
import { MYSQL_ORMS, mysqlOrmApp } from '../support/orm-mysql-apps.js';

const cluster = useCluster({ engine: 'mysql', instances: 1 });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close().catch(() => undefined)));
});

/** The mysql2 error inside an ORM's wrapper (Sequelize: `parent`, TypeORM: `driverError`, Drizzle: `cause`). */
function driverErrorOf(err: unknown): { code?: unknown; errno?: unknown } | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const x = e as {
      code?: unknown;
      errno?: unknown;
      parent?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (x.code === 'ER_BAD_FIELD_ERROR') return x;
    e = x.parent ?? x.driverError ?? x.cause;
  }
  return undefined;
}

describe.each(MYSQL_ORMS)('%s on aurora-ha/mysql2', (name) => {
  it('CRUD, a committed and a rolled-back transaction, a driver error', async () => {
    const app = mysqlOrmApp(name, mysqlConfig(cluster()));
    closers.push(() => app.close());
    await app.createTable();
    await app.insert('a', 'first');
    expect(await app.nameOf('a')).toBe('first');
    await app.rename('a', 'second');
    expect(await app.nameOf('a')).toBe('second');

    await app.inTransaction('committed', false);
    await expect(app.inTransaction('rolled-back', true)).rejects.toThrow('abort');
    const keys = await app.keys();
    expect(keys).toContain('committed');
    expect(keys).not.toContain('rolled-back');

    await app.remove('a');
    expect(await app.nameOf('a')).toBeUndefined();

    const err = await app.badQuery();
    expect(driverErrorOf(err), String(err)).toMatchObject({ code: 'ER_BAD_FIELD_ERROR', errno: 1054 });
    expect(isFailoverError(err)).toBe(false);
    await app.close();
  });
});

describe('Drizzle on an aurora-ha/mysql2/promise pool whose connection was lost while idle', () => {
  // Drizzle runs BEGIN before the try/finally that releases its pooled connection: a BEGIN that
  // rejected (the never-sent failover outcome of an idle loss) leaked the connection, and with a
  // pool of one the next transaction waited forever. The pool now moves such a connection when
  // it hands it out, before the caller's first statement.
  it('the next transaction goes on, and the one after it gets the connection back', async () => {
    const c = cluster();
    const pool = auroraMysqlPromise.createPool({ ...mysqlConfig(c), connectionLimit: 1 });
    closers.push(() => pool.end());
    const db = drizzle({ client: pool });
    await db.execute(dsql`CREATE TABLE IF NOT EXISTS orm_m_idle (k varchar(20) PRIMARY KEY)`);
    const insert = (k: string): Promise<void> =>
      db.transaction(async (tx) => {
        await tx.execute(dsql`INSERT INTO orm_m_idle VALUES (${k})`);
      });
    await insert('before');
    const pooled = (pool as unknown as { pool: Pool }).pool._freeConnections.get(0)!;
    const writer = c.instances()[0]!.id;
    c.partition(writer, { mode: 'reset' }); // every session of the instance is reset
    c.heal(writer);
    await vi.waitUntil(() => pooled.lostWhileIdle(), { timeout: 10_000, interval: 20 });
    await insert('after-loss');
    await insert('next');
    const [rows] = await pool.query('SELECT k FROM orm_m_idle ORDER BY k');
    expect(rows).toEqual([{ k: 'after-loss' }, { k: 'before' }, { k: 'next' }]);
  });
});
