/**
 * ORMs on `aurora-ha/mysql2`, plugged in exactly as each documents for a custom mysql2 module or
 * pool (no shim), against real MariaDB through the emulator, default plugins: CRUD, a committed
 * and a rolled-back transaction, and a driver error that comes through the ORM as mysql2's.
 * Knex (its own mysql2 client with `_driver()` returning aurora-ha/mysql2, and Knex 3.3's
 * `connectionPool` with an aurora-ha pool), Kysely (`MysqlDialect({ pool })`), Drizzle
 * (`drizzle-orm/mysql2` with an aurora-ha/mysql2/promise pool), Sequelize (`dialectModule`),
 * TypeORM (`driver`). The apps are in test/support/orm-mysql-apps.ts (docs/orms.md's snippets).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isFailoverError } from '../../src/index.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';
import { MYSQL_ORMS, mysqlOrmApp } from '../support/orm-mysql-apps.js';
import type { MysqlOrmApp } from '../support/orm-mysql-apps.js';

const cluster = useCluster({ engine: 'mysql', instances: 1 });
const apps: MysqlOrmApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
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
    apps.push(app);
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
