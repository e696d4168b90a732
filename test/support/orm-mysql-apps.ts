/**
 * The five ORMs on `aurora-ha/mysql2`, each plugged in exactly as the ORM documents for a custom
 * mysql2 module or pool (the code of docs/orms.md's MySQL section), behind one small interface
 * the tests drive: CRUD on a table of uniquely keyed rows, a transaction, a statement that fails.
 * Used by the CRUD tests (orm-mysql.test.ts) and the failover child (orm-mysql-failover-child.ts).
 */
import { createRequire } from 'node:module';
import 'reflect-metadata';
import { eq, sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import knex from 'knex';
import type { Knex } from 'knex';
import { Kysely, MysqlDialect } from 'kysely';
import { DataTypes, Sequelize } from 'sequelize';
import type { Model, ModelStatic } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import auroraMysql from '../../src/mysql2.js';
import type { Pool } from '../../src/mysql2.js';
import auroraMysqlPromise from '../../src/mysql2-promise.js';

/** Connection settings of the cluster's test user plus any aurora-ha options. */
export interface MysqlAppConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectTimeout?: number;
  [auroraOption: string]: unknown;
}

/** What the tests do through an ORM; rows are `(k varchar(64) primary key, name varchar(64))`. */
export interface MysqlOrmApp {
  readonly name: string;
  /** Pool size the app was configured with. */
  readonly poolSize: number;
  createTable(): Promise<void>;
  insert(k: string, name: string): Promise<void>;
  rename(k: string, name: string): Promise<void>;
  /** The row's name, undefined when there is no such row. */
  nameOf(k: string): Promise<string | undefined>;
  remove(k: string): Promise<void>;
  keys(): Promise<string[]>;
  /** Inserts rows `k` and `k + '/2'` in one ORM transaction; with `fail`, throws `Error('abort')` after them. */
  inTransaction(k: string, fail: boolean): Promise<void>;
  /** A statement naming a missing column: resolves to the error the application receives. */
  badQuery(): Promise<unknown>;
  close(): Promise<void>;
  /** For the pools of aurora-ha/mysql2: connections checked out and not given back (test check). */
  readonly checkedOut?: () => number;
}

/** Connections of an aurora-ha/mysql2 pool that are checked out (not free). */
function checkedOutOf(pool: Pool): number {
  return pool._allConnections.length - pool._freeConnections.length;
}

export type MysqlOrmName = 'knex' | 'knex-connectionPool' | 'kysely' | 'drizzle' | 'sequelize' | 'typeorm';

export const POOL_SIZE = 10;

const require = createRequire(import.meta.url);

function connectionOf(config: MysqlAppConfig): MysqlAppConfig {
  return { connectTimeout: 5000, ...config };
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
}

// ---- Knex: a custom client class (knex's documented extension point) whose driver is aurora-ha/mysql2.
const KnexMysql2Client = require('knex/lib/dialects/mysql2') as typeof Knex.Client;

/** knex's own mysql2 client, loading aurora-ha/mysql2 instead of mysql2. */
export class AuroraKnexMysql2Client extends KnexMysql2Client {
  _driver(): unknown {
    return auroraMysql;
  }
}

function knexApp(table: string, db: Knex, name: string, end: () => Promise<void>, pool?: Pool): MysqlOrmApp {
  return {
    name,
    ...(pool === undefined ? {} : { checkedOut: () => checkedOutOf(pool) }),
    poolSize: POOL_SIZE,
    async createTable() {
      if (!(await db.schema.hasTable(table)))
        await db.schema.createTable(table, (t) => {
          t.string('k', 64).primary();
          t.string('name', 64).notNullable();
        });
    },
    async insert(k, n) {
      await db(table).insert({ k, name: n });
    },
    async rename(k, n) {
      await db(table).where({ k }).update({ name: n });
    },
    async nameOf(k) {
      const row = await db<{ k: string; name: string }>(table).where({ k }).first('name');
      return row?.name;
    },
    async remove(k) {
      await db(table).where({ k }).del();
    },
    async keys() {
      return (await db<{ k: string }>(table).select('k')).map((r) => r.k);
    },
    async inTransaction(k, fail) {
      await db.transaction(async (trx) => {
        await trx(table).insert({ k, name: 'tx' });
        await trx(table).insert({ k: `${k}/2`, name: 'tx' });
        if (fail) throw new Error('abort');
      });
    },
    badQuery: () => rejectionOf(db(table).select('no_such_column')),
    close: end,
  };
}

function knexWithClient(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const db = knex({
    client: AuroraKnexMysql2Client,
    connection: connectionOf(config),
    pool: { min: 0, max: POOL_SIZE },
  });
  return knexApp(table, db, 'knex', () => db.destroy());
}

function knexWithPool(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const pool = auroraMysql.createPool({ ...connectionOf(config), connectionLimit: POOL_SIZE });
  // Knex 3.3 types the pool's end() callback without `null`: mysql2's own pool needs this cast too.
  const db = knex({ client: 'mysql2', connectionPool: pool as Knex.MySQLPoolLike });
  return knexApp(
    table,
    db,
    'knex-connectionPool',
    async () => {
      await db.destroy();
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    },
    pool,
  );
}

// ---- Kysely: MysqlDialect over a pool of aurora-ha/mysql2.
interface KyselyDb {
  [table: string]: { k: string; name: string };
}

function kyselyApp(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const pool = auroraMysql.createPool({ ...connectionOf(config), connectionLimit: POOL_SIZE });
  const db = new Kysely<KyselyDb>({ dialect: new MysqlDialect({ pool }) });
  return {
    name: 'kysely',
    checkedOut: () => checkedOutOf(pool),
    poolSize: POOL_SIZE,
    async createTable() {
      await db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn('k', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .execute();
    },
    async insert(k, n) {
      await db.insertInto(table).values({ k, name: n }).execute();
    },
    async rename(k, n) {
      await db.updateTable(table).set({ name: n }).where('k', '=', k).execute();
    },
    async nameOf(k) {
      const row = await db.selectFrom(table).select('name').where('k', '=', k).executeTakeFirst();
      return row?.name;
    },
    async remove(k) {
      await db.deleteFrom(table).where('k', '=', k).execute();
    },
    async keys() {
      return (await db.selectFrom(table).select('k').execute()).map((r) => r.k);
    },
    async inTransaction(k, fail) {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto(table).values({ k, name: 'tx' }).execute();
        await tx
          .insertInto(table)
          .values({ k: `${k}/2`, name: 'tx' })
          .execute();
        if (fail) throw new Error('abort');
      });
    },
    badQuery: () => rejectionOf(db.selectFrom(table).select(rawColumn('no_such_column')).execute()),
    close: () => db.destroy(),
  };
}

// Kysely's column name for an invalid reference (keeps the test free of `any`).
function rawColumn(name: string): 'k' {
  return name as 'k';
}

// ---- Drizzle: drizzle-orm/mysql2 with a pool of aurora-ha/mysql2/promise.
function drizzleApp(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const rows = mysqlTable(table, {
    k: varchar('k', { length: 64 }).primaryKey(),
    name: varchar('name', { length: 64 }).notNull(),
  });
  const pool = auroraMysqlPromise.createPool({ ...connectionOf(config), connectionLimit: POOL_SIZE });
  const db = drizzle({ client: pool });
  return {
    name: 'drizzle',
    checkedOut: () => checkedOutOf((pool as unknown as { pool: Pool }).pool),
    poolSize: POOL_SIZE,
    async createTable() {
      await db.execute(
        dsql.raw(
          `CREATE TABLE IF NOT EXISTS ${table} (k varchar(64) PRIMARY KEY, name varchar(64) NOT NULL)`,
        ),
      );
    },
    async insert(k, n) {
      await db.insert(rows).values({ k, name: n });
    },
    async rename(k, n) {
      await db.update(rows).set({ name: n }).where(eq(rows.k, k));
    },
    async nameOf(k) {
      const found = await db.select({ name: rows.name }).from(rows).where(eq(rows.k, k));
      return found[0]?.name;
    },
    async remove(k) {
      await db.delete(rows).where(eq(rows.k, k));
    },
    async keys() {
      return (await db.select({ k: rows.k }).from(rows)).map((r) => r.k);
    },
    async inTransaction(k, fail) {
      await db.transaction(async (tx) => {
        await tx.insert(rows).values({ k, name: 'tx' });
        await tx.insert(rows).values({ k: `${k}/2`, name: 'tx' });
        if (fail) throw new Error('abort');
      });
    },
    badQuery: () => rejectionOf(db.execute(dsql.raw(`SELECT no_such_column FROM ${table}`))),
    close: () => pool.end(),
  };
}

// ---- Sequelize: dialect 'mysql' with aurora-ha/mysql2 as its dialectModule.
interface RowAttributes {
  k: string;
  name: string;
}

function sequelizeApp(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const { host, port, user, password, database, ...options } = connectionOf(config);
  const sequelize = new Sequelize(database, user, password, {
    host,
    port,
    dialect: 'mysql',
    dialectModule: auroraMysql,
    dialectOptions: options, // reach aurora-ha/mysql2's createConnection as they are
    pool: { max: POOL_SIZE, min: 0 },
    logging: false,
  });
  const Row: ModelStatic<Model<RowAttributes>> = sequelize.define(
    table,
    {
      k: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(64), allowNull: false },
    },
    { tableName: table, timestamps: false },
  );
  return {
    name: 'sequelize',
    poolSize: POOL_SIZE,
    async createTable() {
      await Row.sync();
    },
    async insert(k, n) {
      await Row.create({ k, name: n });
    },
    async rename(k, n) {
      await Row.update({ name: n }, { where: { k } });
    },
    async nameOf(k) {
      const row = await Row.findByPk(k);
      return row?.getDataValue('name');
    },
    async remove(k) {
      await Row.destroy({ where: { k } });
    },
    async keys() {
      return (await Row.findAll({ attributes: ['k'] })).map((r) => r.getDataValue('k'));
    },
    async inTransaction(k, fail) {
      await sequelize.transaction(async (transaction) => {
        await Row.create({ k, name: 'tx' }, { transaction });
        await Row.create({ k: `${k}/2`, name: 'tx' }, { transaction });
        if (fail) throw new Error('abort');
      });
    },
    badQuery: () => rejectionOf(sequelize.query(`SELECT no_such_column FROM ${table}`)),
    close: () => sequelize.close(),
  };
}

// ---- TypeORM: type 'mysql' with aurora-ha/mysql2 as its driver.
function typeormApp(config: MysqlAppConfig, table: string): MysqlOrmApp {
  const { host, port, user, password, database, connectTimeout, ...options } = connectionOf(config);
  const RowSchema = new EntitySchema<RowAttributes>({
    name: table,
    tableName: table,
    columns: {
      k: { type: 'varchar', length: 64, primary: true },
      name: { type: 'varchar', length: 64 },
    },
  });
  const ds = new DataSource({
    type: 'mysql',
    driver: auroraMysql,
    host,
    port,
    username: user,
    password,
    database,
    connectTimeout,
    poolSize: POOL_SIZE,
    extra: options, // given to createPool as they are: aurora-ha's options go here
    entities: [RowSchema],
  });
  const repo = (): ReturnType<DataSource['getRepository']> => ds.getRepository(RowSchema);
  return {
    name: 'typeorm',
    checkedOut: () => checkedOutOf((ds.driver as unknown as { pool: Pool }).pool),
    poolSize: POOL_SIZE,
    async createTable() {
      if (!ds.isInitialized) await ds.initialize();
      await ds.synchronize();
    },
    async insert(k, n) {
      await ds.getRepository(RowSchema).insert({ k, name: n });
    },
    async rename(k, n) {
      await ds.getRepository(RowSchema).update({ k }, { name: n });
    },
    async nameOf(k) {
      return (await ds.getRepository(RowSchema).findOneBy({ k }))?.name;
    },
    async remove(k) {
      await ds.getRepository(RowSchema).delete({ k });
    },
    async keys() {
      return (await ds.getRepository(RowSchema).find({ select: { k: true } })).map((r) => r.k);
    },
    async inTransaction(k, fail) {
      await ds.transaction(async (manager) => {
        await manager.insert(RowSchema, { k, name: 'tx' });
        await manager.insert(RowSchema, { k: `${k}/2`, name: 'tx' });
        if (fail) throw new Error('abort');
      });
    },
    badQuery: () => rejectionOf(repo().query(`SELECT no_such_column FROM ${table}`)),
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
    },
  };
}

/** Build one ORM's app on `config`, with its own table `orm_m_<name>`. */
export function mysqlOrmApp(name: MysqlOrmName, config: MysqlAppConfig): MysqlOrmApp {
  const table = `orm_m_${name.replace(/-/g, '_')}`;
  switch (name) {
    case 'knex':
      return knexWithClient(config, table);
    case 'knex-connectionPool':
      return knexWithPool(config, table);
    case 'kysely':
      return kyselyApp(config, table);
    case 'drizzle':
      return drizzleApp(config, table);
    case 'sequelize':
      return sequelizeApp(config, table);
    case 'typeorm':
      return typeormApp(config, table);
  }
}

export const MYSQL_ORMS: readonly MysqlOrmName[] = [
  'knex',
  'knex-connectionPool',
  'kysely',
  'drizzle',
  'sequelize',
  'typeorm',
];
