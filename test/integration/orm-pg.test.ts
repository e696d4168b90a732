/**
 * ORMs on `aurora-ha/pg`, plugged in exactly as each documents for a node-postgres pool (no
 * shim), against real PostgreSQL through the emulator: CRUD and a transaction. Kysely takes a
 * pg Pool in `PostgresDialect`; Drizzle's `drizzle-orm/node-postgres` takes a pg Pool (or
 * Client). Both with the default plugins.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql as dsql } from 'drizzle-orm';
import type { Generated } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { isFailoverError } from '../../src/index.js';
import { Pool } from '../../src/pg.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'postgres', instances: 1 });
const pools: Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
});

function pool(): Pool {
  const p = new Pool({ ...pgConfig(cluster()), max: 4 });
  pools.push(p);
  return p;
}

interface Db {
  orm_k: { id: Generated<number>; name: string };
}

describe('Kysely with PostgresDialect({ pool: new Pool() }) from aurora-ha/pg', () => {
  it('CRUD and a transaction (committed and rolled back)', async () => {
    const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool: pool() }) });
    await db.schema
      .createTable('orm_k')
      .ifNotExists()
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    const { id } = await db
      .insertInto('orm_k')
      .values({ name: 'a' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.updateTable('orm_k').set({ name: 'b' }).where('id', '=', id).execute();
    expect(await db.selectFrom('orm_k').select('name').where('id', '=', id).executeTakeFirst()).toEqual({
      name: 'b',
    });
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('orm_k').values({ name: 'in-tx' }).execute();
    });
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('orm_k').values({ name: 'rolled-back' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await db.selectFrom('orm_k').select('name').orderBy('id').execute()).map((r) => r.name);
    expect(names).toContain('in-tx');
    expect(names).not.toContain('rolled-back');
    await db.deleteFrom('orm_k').where('id', '=', id).execute();
    expect(await db.selectFrom('orm_k').select('id').where('id', '=', id).execute()).toEqual([]);
    const err = await db
      .selectFrom('orm_k')
      .select(dsqlRaw('nope'))
      .execute()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '42703' }); // a driver error comes through as pg's
    expect(isFailoverError(err)).toBe(false);
    await db.destroy();
  });
});

// Kysely's raw column for an invalid reference (keeps the test free of `any`).
function dsqlRaw(name: string): 'id' {
  return name as 'id';
}

describe("Drizzle's node-postgres driver with a Pool from aurora-ha/pg", () => {
  it('CRUD and a transaction (committed and rolled back)', async () => {
    const db = drizzle(pool());
    await db.execute(dsql`CREATE TABLE IF NOT EXISTS orm_d (id serial PRIMARY KEY, name text NOT NULL)`);
    const ins = await db.execute<{ id: number }>(dsql`INSERT INTO orm_d (name) VALUES (${'a'}) RETURNING id`);
    const id = ins.rows[0]!.id;
    await db.execute(dsql`UPDATE orm_d SET name = ${'b'} WHERE id = ${id}`);
    const sel = await db.execute<{ name: string }>(dsql`SELECT name FROM orm_d WHERE id = ${id}`);
    expect(sel.rows).toEqual([{ name: 'b' }]);
    await db.transaction(async (tx) => {
      await tx.execute(dsql`INSERT INTO orm_d (name) VALUES (${'in-tx'})`);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(dsql`INSERT INTO orm_d (name) VALUES (${'rolled-back'})`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const all = await db.execute<{ name: string }>(dsql`SELECT name FROM orm_d ORDER BY id`);
    const names = all.rows.map((r) => r.name);
    expect(names).toContain('in-tx');
    expect(names).not.toContain('rolled-back');
    await db.execute(dsql`DELETE FROM orm_d WHERE id = ${id}`);
    expect((await db.execute(dsql`SELECT 1 FROM orm_d WHERE id = ${id}`)).rows).toEqual([]);
  });
});
