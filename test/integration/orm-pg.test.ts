/**
 * ORMs on `aurora-ha/pg`, plugged in exactly as each documents for a node-postgres module or
 * pool (no shim), against real PostgreSQL through the emulator: CRUD and a committed and a
 * rolled-back transaction. Kysely takes a pg Pool in `PostgresDialect`; Drizzle's
 * `drizzle-orm/node-postgres` takes a pg Pool; Knex takes a native pool as `connectionPool`;
 * Sequelize takes the module as `dialectModule`; TypeORM takes it as the DataSource's `driver`.
 * Sequelize filters the config it passes to the driver, so aurora-ha options reach it through a
 * module bound to them (`createDriver`), tested here to really apply; and the listeners it puts
 * on `client.connection` follow the session to a new physical connection.
 */
import 'reflect-metadata';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql as dsql } from 'drizzle-orm';
import knex from 'knex';
import type { Generated } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import { DataTypes, Sequelize } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { FailoverSuccessError, findFailoverError, isFailoverError } from '../../src/index.js';
import { Client, Pool, createDriver } from '../../src/pg.js';
import { pgConfig, useCluster } from '../support/cluster.js';
import { FAST_FAILOVER } from '../support/failover-harness.js';
import { secretLeaks } from '../support/secret-leaks.js';

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

describe('Drizzle transactions after an idle pooled client lost its socket', () => {
  it('the pool moves the client when it hands it out: BEGIN runs on the new connection, nothing leaks', async () => {
    // Drizzle runs BEGIN before the try/finally that releases the client: a BEGIN rejected with
    // the never-sent failover outcome would leave the pool's only client checked out forever.
    const p = new Pool({ ...pgConfig(cluster()), max: 1 });
    pools.push(p);
    const db = drizzle(p);
    await db.execute(dsql`CREATE TABLE IF NOT EXISTS orm_dl (k text PRIMARY KEY)`);
    const { rows } = await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const killer = new Client({ ...pgConfig(cluster()), plugins: [] });
    await killer.connect();
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await killer.end();
    await expect
      .poll(
        () =>
          p.idleCount === 1 &&
          (p as unknown as { _idle: { client: Client }[] })._idle[0]!.client._lostWhileIdle,
      )
      .toBe(true);
    const failovers: unknown[] = [];
    const held = (p as unknown as { _idle: { client: Client }[] })._idle[0]!.client;
    held.on('failover', (e) => failovers.push(e));
    const within = <T>(work: Promise<T>): Promise<T | 'hung'> =>
      Promise.race([work, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref())]);
    const insert = (k: string): Promise<unknown> =>
      within(
        db.transaction(async (tx) => {
          await tx.execute(dsql`INSERT INTO orm_dl (k) VALUES (${k})`);
        }),
      ).catch((e: unknown) => e);
    expect(await insert('first')).toBeUndefined();
    expect(await insert('second')).toBeUndefined();
    expect(failovers).toHaveLength(1);
    expect(p.totalCount).toBe(1);
    const keys = await db.execute<{ k: string }>(dsql`SELECT k FROM orm_dl ORDER BY k`);
    expect(keys.rows.map((r) => r.k)).toEqual(['first', 'second']);
  });
});

describe('Drizzle transactions when the connection is lost while BEGIN runs', () => {
  it("a checked-out client's BEGIN is run again on the new connection: the transaction goes on, nothing leaks", async () => {
    const c = cluster();
    const id = c.instances()[0]!.id;
    const p = new Pool({ ...pgConfig(c), ...FAST_FAILOVER, max: 1 });
    pools.push(p);
    const failovers: unknown[] = [];
    p.on('connect', (client) =>
      (client as unknown as Client).on('failover', (e: unknown) => failovers.push(e)),
    );
    const db = drizzle(p);
    await db.execute(dsql`CREATE TABLE IF NOT EXISTS orm_db (k text PRIMARY KEY)`);
    await p.query('SELECT 1');
    // BEGIN goes out into a silent network, then the connection is reset under it.
    c.partition(id, { mode: 'blackhole' });
    let began = false;
    const tx = db
      .transaction(async (t) => {
        began = true;
        await t.execute(dsql`INSERT INTO orm_db (k) VALUES (${'after-move'})`);
      })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 150));
    expect(began).toBe(false);
    c.partition(id, { mode: 'reset' });
    await new Promise((r) => setTimeout(r, 300));
    c.heal(id);
    const within = <T>(work: Promise<T>): Promise<T | 'hung'> =>
      Promise.race([work, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000).unref())]);
    expect(await within(tx)).toBeUndefined();
    expect(failovers).toHaveLength(1);
    // The pool's only client was released: a second transaction runs.
    expect(
      await within(
        db.transaction(async (t) => {
          await t.execute(dsql`INSERT INTO orm_db (k) VALUES (${'second'})`);
        }),
      ),
    ).toBeUndefined();
    const keys = await db.execute<{ k: string }>(dsql`SELECT k FROM orm_db ORDER BY k`);
    expect(keys.rows.map((r) => r.k)).toEqual(['after-move', 'second']);
  });
});

describe("Knex with client 'pg' and a Pool from aurora-ha/pg as connectionPool", () => {
  it('CRUD and a transaction (committed and rolled back)', async () => {
    const db = knex({ client: 'pg', connectionPool: pool() });
    await db.schema.dropTableIfExists('orm_kn');
    await db.schema.createTable('orm_kn', (t) => {
      t.increments('id');
      t.text('name').notNullable();
    });
    const [row] = await db('orm_kn').insert({ name: 'a' }).returning<{ id: number }[]>('id');
    const id = row!.id;
    await db('orm_kn').where({ id }).update({ name: 'b' });
    expect(await db('orm_kn').select('name').where({ id })).toEqual([{ name: 'b' }]);
    await db.transaction(async (trx) => {
      await trx('orm_kn').insert({ name: 'in-tx' });
    });
    await expect(
      db.transaction(async (trx) => {
        await trx('orm_kn').insert({ name: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await db('orm_kn').select<{ name: string }[]>('name').orderBy('id')).map((r) => r.name);
    expect(names).toEqual(['b', 'in-tx']);
    await db('orm_kn').where({ id }).delete();
    expect(await db('orm_kn').where({ id })).toEqual([]);
    const err = await db.raw('SELECT nope FROM orm_kn').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '42703' });
    expect(isFailoverError(err)).toBe(false);
    await db.destroy(); // knex does not own a connectionPool: the pool is ended in afterAll
  });
});

describe('Sequelize with dialectModule: createDriver(...) from aurora-ha/pg', () => {
  it('CRUD and a transaction (committed and rolled back)', async () => {
    const c = pgConfig(cluster());
    const sequelize = new Sequelize(c.database, c.user, c.password, {
      dialect: 'postgres',
      dialectModule: createDriver({ plugins: ['failover'] }),
      host: c.host,
      port: c.port,
      logging: false,
      pool: { max: 4 },
    });
    const Item = sequelize.define(
      'orm_s',
      { name: { type: DataTypes.TEXT, allowNull: false } },
      {
        tableName: 'orm_s',
        timestamps: false,
      },
    );
    await Item.sync({ force: true });
    const a = await Item.create({ name: 'a' });
    const id = a.get('id') as number;
    await Item.update({ name: 'b' }, { where: { id } });
    expect((await Item.findByPk(id))?.get('name')).toBe('b');
    await sequelize.transaction(async (transaction) => {
      await Item.create({ name: 'in-tx' }, { transaction });
    });
    await expect(
      sequelize.transaction(async (transaction) => {
        await Item.create({ name: 'rolled-back' }, { transaction });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await Item.findAll({ order: [['id', 'ASC']] })).map((r) => r.get('name'));
    expect(names).toEqual(['b', 'in-tx']);
    await Item.destroy({ where: { id } });
    expect(await Item.findByPk(id)).toBeNull();
    const err = await sequelize.query('SELECT nope FROM orm_s').catch((e: unknown) => e);
    expect(err).toMatchObject({ original: { code: '42703' } });
    expect(isFailoverError(err)).toBe(false);
    await sequelize.close();
  });

  it('the bound plugins drive its connections: a lost session is a failover outcome through its wrapper', async () => {
    const c = pgConfig(cluster());
    const open = (plugins: string[]): Sequelize =>
      new Sequelize(c.database, c.user, c.password, {
        dialect: 'postgres',
        dialectModule: createDriver({ plugins }),
        host: c.host,
        port: c.port,
        logging: false,
        pool: { max: 1 },
      });
    const killer = new Client({ ...c, plugins: [] });
    await killer.connect();
    const outcome = async (sequelize: Sequelize): Promise<unknown> => {
      const [[row]] = (await sequelize.query('SELECT pg_backend_pid() AS pid')) as [
        [{ pid: number }],
        unknown,
      ];
      await killer.query('SELECT pg_terminate_backend($1)', [row.pid]);
      await new Promise((r) => setTimeout(r, 200));
      return sequelize.query('SELECT 1 AS one').catch((e: unknown) => e);
    };
    const withFailover = open(['failover']);
    const recovered = await outcome(withFailover);
    // Sequelize wraps it (DatabaseError with `parent` / `original`): found through the wrapper.
    expect(recovered).not.toBeInstanceOf(FailoverSuccessError);
    const found = findFailoverError(recovered);
    expect(found).toBeInstanceOf(FailoverSuccessError);
    expect((found as FailoverSuccessError).statementSent).toBe(false);
    expect(await withFailover.query('SELECT 1 AS one', { plain: true })).toEqual({ one: 1 });
    await withFailover.close();
    // plugins: [] is pg's behaviour: the loss is an 'error' event, on which Sequelize discards
    // the connection, so the next query runs on a new one.
    const plain = open([]);
    const raw = await outcome(plain);
    expect(isFailoverError(raw)).toBe(false);
    expect(raw).toEqual([[{ one: 1 }], expect.anything()]);
    await plain.close();
    await killer.end();
  });
});

describe("TypeORM's postgres DataSource with driver: createDriver(...) from aurora-ha/pg", () => {
  interface Item {
    id: number;
    name: string;
  }
  const ItemEntity = new EntitySchema<Item>({
    name: 'orm_t',
    tableName: 'orm_t',
    columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
  });

  it('CRUD and a transaction (committed and rolled back)', async () => {
    const c = pgConfig(cluster());
    const ds = new DataSource({
      type: 'postgres',
      driver: createDriver({ plugins: ['failover'] }),
      host: c.host,
      port: c.port,
      username: c.user,
      password: c.password,
      database: c.database,
      entities: [ItemEntity],
      synchronize: true,
      poolSize: 4,
    });
    await ds.initialize();
    const repo = ds.getRepository(ItemEntity);
    const a = await repo.save({ name: 'a' });
    await repo.update({ id: a.id }, { name: 'b' });
    expect((await repo.findOneBy({ id: a.id }))?.name).toBe('b');
    await ds.transaction(async (em) => {
      await em.getRepository(ItemEntity).save({ name: 'in-tx' });
    });
    await expect(
      ds.transaction(async (em) => {
        await em.getRepository(ItemEntity).save({ name: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await repo.find({ order: { id: 'ASC' } })).map((r) => r.name);
    expect(names).toEqual(['b', 'in-tx']);
    await repo.delete({ id: a.id });
    expect(await repo.findOneBy({ id: a.id })).toBeNull();
    const err = await ds.query('SELECT nope FROM orm_t').catch((e: unknown) => e);
    expect(err).toMatchObject({ driverError: { code: '42703' } });
    expect(isFailoverError(err)).toBe(false);
    await ds.destroy();
  });
});

describe('createDriver(options): a module bound to aurora-ha options', () => {
  /** The outcome of a query on a Client whose session was terminated while idle. */
  async function afterIdleLoss(client: Client): Promise<unknown> {
    await client.connect();
    const killer = new Client({ ...pgConfig(cluster()), plugins: [] });
    await killer.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await killer.end();
    await new Promise((r) => setTimeout(r, 200));
    const outcome = await client.query('SELECT 1').catch((e: unknown) => e);
    await client.end().catch(() => undefined);
    return outcome;
  }

  it('its Client uses the bound plugins; a config that names its own plugins wins', async () => {
    const c = pgConfig(cluster());
    const bare = createDriver({ plugins: [] });
    const raw = await afterIdleLoss(new bare.Client(c));
    expect(raw).toBeInstanceOf(Error);
    expect(isFailoverError(raw)).toBe(false);
    const own = await afterIdleLoss(new bare.Client({ ...c, plugins: ['failover'] }));
    expect(own).toBeInstanceOf(FailoverSuccessError);
    const withFailover = createDriver({ plugins: ['failover'] });
    expect(await afterIdleLoss(new withFailover.Client(c))).toBeInstanceOf(FailoverSuccessError);
  });

  it('its Pool (as TypeORM and Knex build it) uses the bound plugins too', async () => {
    const bare = createDriver({ plugins: [] });
    const p = new bare.Pool({ ...pgConfig(cluster()), max: 1 });
    const killer = new Client({ ...pgConfig(cluster()), plugins: [] });
    await killer.connect();
    const { rows } = await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // plugins: [] → pg-pool's own behaviour: the dead idle client leaves the pool with 'error'.
    const errored = new Promise<unknown>((resolve) => p.once('error', resolve));
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await killer.end();
    const poolError = await errored;
    expect(isFailoverError(poolError)).toBe(false);
    expect(p.totalCount).toBe(0);
    await p.end();
  });

  it('a wrong password through a bound module: the error names no secret', async () => {
    const secret = 'wrong-pw-5c2e91b7';
    const driver = createDriver({ plugins: ['failover'] });
    const client = new driver.Client({ ...pgConfig(cluster()), password: secret });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(secretLeaks(err, secret)).toEqual([]);
  });
});

describe('listeners on client.connection follow the session (Sequelize listens there)', () => {
  it("a 'parameterStatus' listener added before connect hears the new session after a failover", async () => {
    const client = new Client(pgConfig(cluster()));
    const heard: { parameterName: string; parameterValue: string }[] = [];
    const listener = (m: { parameterName: string; parameterValue: string }): void => void heard.push(m);
    client.connection.on('parameterStatus', listener);
    await client.connect();
    expect(heard.some((m) => m.parameterName === 'server_version')).toBe(true);
    const first = client.connection;
    const killer = new Client({ ...pgConfig(cluster()), plugins: [] });
    await killer.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await killer.end();
    await new Promise((r) => setTimeout(r, 200));
    expect(await client.query('SELECT 1').catch((e: unknown) => e)).toBeInstanceOf(FailoverSuccessError);
    expect(client.connection).not.toBe(first);
    expect(first.listeners('parameterStatus')).not.toContain(listener);
    await client.query("SET application_name = 'after-failover'");
    expect(heard).toContainEqual(
      expect.objectContaining({ parameterName: 'application_name', parameterValue: 'after-failover' }),
    );
    // Removing it through client.connection now removes it from the session in use.
    client.connection.removeListener('parameterStatus', listener);
    await client.query("SET application_name = 'removed'");
    expect(heard.some((m) => m.parameterValue === 'removed')).toBe(false);
    await client.end();
  });
});
