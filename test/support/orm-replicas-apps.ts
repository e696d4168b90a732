/**
 * The five ORMs with their OWN read/write splitting on aurora-ha pools (the code of
 * docs/read-scaling.md's "ORM replica routing"), each plugged into aurora-ha as the ORM documents
 * (as test/support/orm-pg-failover-child.ts and orm-mysql-apps.ts do):
 *
 * - Drizzle: `withReplicas(primary, [replica])`, primary on the writer endpoint, replica on the reader endpoint;
 * - TypeORM: `replication: { master, slaves }` with aurora-ha as its `driver`;
 * - Sequelize: `replication: { write, read }` with aurora-ha as its `dialectModule`;
 * - Kysely and Knex: two instances, one on the writer endpoint, one on the reader endpoint.
 *
 * Writes go through the ORM's write side, reads through its read side; a read returns the
 * answering session's instance id and whether that session is read-only (a reader:
 * `pg_is_in_recovery()` / `@@innodb_read_only`), with the count and sum of a seeded table.
 */
import { createRequire } from 'node:module';
import 'reflect-metadata';
import { sql as dsql } from 'drizzle-orm';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar, withReplicas as mysqlWithReplicas } from 'drizzle-orm/mysql-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text, withReplicas as pgWithReplicas } from 'drizzle-orm/pg-core';
import knex from 'knex';
import type { Knex } from 'knex';
import { Kysely, MysqlDialect, PostgresDialect, sql as ksql } from 'kysely';
import { DataTypes, QueryTypes, Sequelize } from 'sequelize';
import type { ConnectionOptions, Model, ModelStatic } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import auroraMysql from '../../src/mysql2.js';
import auroraMysqlPromise from '../../src/mysql2-promise.js';
import { Pool as PgPool, createDriver as createPgDriver } from '../../src/pg.js';

export type Engine = 'postgres' | 'mysql';
export type ReplicaOrmName = 'drizzle' | 'typeorm' | 'sequelize' | 'kysely' | 'knex';
export const REPLICA_ORMS: readonly ReplicaOrmName[] = ['drizzle', 'typeorm', 'sequelize', 'kysely', 'knex'];

/** The seeded table every read counts (rows 1..SEED_ROWS). */
export const SEED_TABLE = 'orm_rep_seed';
export const SEED_ROWS = 100;
export const SEED_SUM = (SEED_ROWS * (SEED_ROWS + 1)) / 2;

/** Where the app connects: the cluster endpoints, the test user, and aurora-ha's options. */
export interface ReplicaAppConfig {
  writerHost: string;
  readerHost: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolSize: number;
  /** aurora-ha options of every pool (writer and reader side). */
  aurora: Record<string, unknown>;
  /**
   * aurora-ha options of the read side only, where the ORM lets the read side have options of its
   * own (see `readerOptionsApply`).
   */
  readerAurora: Record<string, unknown>;
}

/**
 * Whether the ORM can give its read side aurora-ha options of its own on `engine`: Drizzle, Kysely
 * and Knex (a pool per side), TypeORM on PostgreSQL (a slave's `url` carries them as
 * connection-string parameters), Sequelize on MySQL (a read replica's own `dialectOptions`).
 * Not TypeORM on MySQL (a node's config keeps only TypeORM's own keys; `extra` is for every node)
 * nor Sequelize on PostgreSQL (a replica's config keeps only a fixed list of pg's keys).
 */
export function readerOptionsApply(name: ReplicaOrmName, engine: Engine): boolean {
  if (name === 'typeorm') return engine === 'postgres';
  if (name === 'sequelize') return engine === 'mysql';
  return true;
}

/** One read's answer. */
export interface ReplicaRead {
  /** Instance that answered. */
  id: string;
  /** The answering session is read-only (a reader). */
  readOnly: boolean;
  n: number;
  s: number;
}

export interface ReplicaApp {
  readonly name: ReplicaOrmName;
  /** Table of this app's writes: `(k varchar(64) primary key, w int not null)`. */
  readonly table: string;
  /** Opens what the ORM opens up front (TypeORM's initialize). */
  start(): Promise<void>;
  /** One uniquely keyed row, through the ORM's write side. */
  insert(k: string, w: number): Promise<void>;
  /** The seeded table, through the ORM's read side. */
  read(): Promise<ReplicaRead>;
  /** Closes every pool the app opened. */
  close(): Promise<void>;
}

/** SQL of the read's columns, per engine. */
function columns(engine: Engine): { id: string; ro: string; n: string; s: string } {
  return engine === 'postgres'
    ? {
        id: 'pg_catalog.aurora_db_instance_identifier()',
        ro: 'pg_is_in_recovery()',
        n: 'count(*)::int',
        s: 'coalesce(sum(v), 0)::int',
      }
    : { id: '@@aurora_server_id', ro: '@@innodb_read_only', n: 'count(*)', s: 'coalesce(sum(v), 0)' };
}

function toRead(row: Record<string, unknown> | undefined): ReplicaRead {
  if (row === undefined) throw new Error('the read returned no row');
  return {
    id: String(row.id),
    readOnly: row.ro === true || Number(row.ro) === 1,
    n: Number(row.n),
    s: Number(row.s),
  };
}

export function tableOf(name: ReplicaOrmName): string {
  return `orm_rep_${name}`;
}

const require = createRequire(import.meta.url);
const KnexMysql2Client = require('knex/lib/dialects/mysql2') as typeof Knex.Client;

/** knex's own mysql2 client, loading aurora-ha/mysql2 instead of mysql2 (knex's extension point). */
class AuroraKnexMysql2Client extends KnexMysql2Client {
  _driver(): unknown {
    return auroraMysql;
  }
}

/** aurora-ha options of the side of `host`. */
function auroraFor(cfg: ReplicaAppConfig, host: string): Record<string, unknown> {
  return host === cfg.readerHost ? { ...cfg.aurora, ...cfg.readerAurora } : cfg.aurora;
}

function mysqlConnection(cfg: ReplicaAppConfig, host: string): Record<string, unknown> {
  const { port, user, password, database } = cfg;
  return { host, port, user, password, database, connectTimeout: 5000, ...auroraFor(cfg, host) };
}

function pgPool(cfg: ReplicaAppConfig, host: string): PgPool {
  const { port, user, password, database } = cfg;
  return new PgPool({ host, port, user, password, database, max: cfg.poolSize, ...auroraFor(cfg, host) });
}

// ---------------------------------------------------------------- Drizzle: withReplicas
function drizzleApp(engine: Engine, cfg: ReplicaAppConfig): ReplicaApp {
  const table = tableOf('drizzle');
  const c = columns(engine);
  const pick = {
    id: dsql<string>`${dsql.raw(c.id)}`,
    ro: dsql<unknown>`${dsql.raw(c.ro)}`,
    n: dsql<number>`${dsql.raw(c.n)}`,
    s: dsql<number>`${dsql.raw(c.s)}`,
  };
  if (engine === 'postgres') {
    const writerPool = pgPool(cfg, cfg.writerHost);
    const readerPool = pgPool(cfg, cfg.readerHost);
    const db = pgWithReplicas(drizzlePg(writerPool), [drizzlePg(readerPool)]);
    const rows = pgTable(table, { k: text('k').primaryKey(), w: integer('w').notNull() });
    const seed = pgTable(SEED_TABLE, { v: integer('v').notNull() });
    return {
      name: 'drizzle',
      table,
      start: async () => undefined,
      insert: async (k, w) => {
        await db.insert(rows).values({ k, w });
      },
      read: async () => toRead((await db.select(pick).from(seed))[0]),
      close: async () => {
        await Promise.all([writerPool.end(), readerPool.end()]);
      },
    };
  }
  const writerPool = auroraMysqlPromise.createPool({
    ...mysqlConnection(cfg, cfg.writerHost),
    connectionLimit: cfg.poolSize,
  });
  const readerPool = auroraMysqlPromise.createPool({
    ...mysqlConnection(cfg, cfg.readerHost),
    connectionLimit: cfg.poolSize,
  });
  const db = mysqlWithReplicas(drizzleMysql({ client: writerPool }), [drizzleMysql({ client: readerPool })]);
  const rows = mysqlTable(table, { k: varchar('k', { length: 64 }).primaryKey(), w: int('w').notNull() });
  const seed = mysqlTable(SEED_TABLE, { v: int('v').notNull() });
  return {
    name: 'drizzle',
    table,
    start: async () => undefined,
    insert: async (k, w) => {
      await db.insert(rows).values({ k, w });
    },
    read: async () => toRead((await db.select(pick).from(seed))[0]),
    close: async () => {
      await Promise.all([writerPool.end(), readerPool.end()]);
    },
  };
}

// ---------------------------------------------------------------- TypeORM: replication { master, slaves }
function typeormApp(engine: Engine, cfg: ReplicaAppConfig): ReplicaApp {
  const table = tableOf('typeorm');
  const c = columns(engine);
  const entity = new EntitySchema<{ k: string; w: number }>({
    name: table,
    tableName: table,
    columns: { k: { type: 'varchar', length: 64, primary: true }, w: { type: 'int' } },
  });
  const credentials = { port: cfg.port, username: cfg.user, password: cfg.password, database: cfg.database };
  // PostgreSQL: the slave's url carries the read side's aurora-ha options (connection-string
  // parameters win over the module's bound options).
  const params = new URLSearchParams(
    Object.entries(cfg.readerAurora).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  const slaveUrl =
    `postgres://${encodeURIComponent(cfg.user)}:${encodeURIComponent(cfg.password)}@${cfg.readerHost}:${cfg.port}/` +
    `${encodeURIComponent(cfg.database)}${params === '' ? '' : `?${params}`}`;
  const replication = {
    master: { host: cfg.writerHost, ...credentials },
    slaves: [
      engine === 'postgres' ? { url: slaveUrl, ...credentials } : { host: cfg.readerHost, ...credentials },
    ],
  };
  const ds =
    engine === 'postgres'
      ? new DataSource({
          type: 'postgres',
          driver: createPgDriver(cfg.aurora),
          replication,
          poolSize: cfg.poolSize,
          entities: [entity],
        })
      : new DataSource({
          type: 'mysql',
          driver: auroraMysql,
          replication,
          poolSize: cfg.poolSize,
          connectTimeout: 5000,
          extra: cfg.aurora, // given to each node's pool as they are: aurora-ha's options go here
          entities: [entity],
        });
  return {
    name: 'typeorm',
    table,
    start: async () => {
      await ds.initialize();
    },
    insert: async (k, w) => {
      await ds.getRepository(entity).insert({ k, w });
    },
    // A query builder's SELECT runs on a slave (TypeORM's default replication mode for reads).
    read: async () =>
      toRead(
        await ds
          .createQueryBuilder()
          .select(c.id, 'id')
          .addSelect(c.ro, 'ro')
          .addSelect(c.n, 'n')
          .addSelect(c.s, 's')
          .from(SEED_TABLE, 'seed')
          .getRawOne<Record<string, unknown>>(),
      ),
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
    },
  };
}

// ---------------------------------------------------------------- Sequelize: replication { write, read }
/**
 * Sequelize opens every connection with session statements of its own unless told not to:
 * PostgreSQL `SET client_min_messages TO warning; SET TIME ZONE …`, MySQL `SET time_zone = …`.
 * A session that ran a `SET` holds state aurora-ha cannot carry over, so a read on it is never
 * sent again when its reader dies (docs/read-scaling.md): the read fails with FailoverSuccessError.
 * `keepDefaultTimezone: true` (and, on PostgreSQL, `clientMinMessages: 'ignore'`) leaves the
 * sessions clean. With `sequelizeDefaults` the test keeps Sequelize's own behaviour.
 */
function sequelizeApp(engine: Engine, cfg: ReplicaAppConfig, sequelizeDefaults: boolean): ReplicaApp {
  const table = tableOf('sequelize');
  const c = columns(engine);
  const clean = sequelizeDefaults ? {} : { keepDefaultTimezone: true };
  // Sequelize merges a read replica's own keys over the main config (dialectOptions included; its
  // types do not name it).
  const readReplica: ConnectionOptions = {
    host: cfg.readerHost,
    ...{ dialectOptions: { connectTimeout: 5000, ...cfg.aurora, ...cfg.readerAurora } },
  };
  const sequelize =
    engine === 'postgres'
      ? new Sequelize(cfg.database, cfg.user, cfg.password, {
          dialect: 'postgres',
          dialectModule: createPgDriver(cfg.aurora),
          port: cfg.port,
          replication: { write: { host: cfg.writerHost }, read: [{ host: cfg.readerHost }] },
          pool: { max: cfg.poolSize, min: 0 },
          logging: false,
          ...clean,
          ...(sequelizeDefaults ? {} : { dialectOptions: { clientMinMessages: 'ignore' } }),
        })
      : new Sequelize(cfg.database, cfg.user, cfg.password, {
          dialect: 'mysql',
          dialectModule: auroraMysql,
          port: cfg.port,
          replication: {
            write: { host: cfg.writerHost },
            // A read replica's own dialectOptions: the read side's aurora-ha options.
            read: [readReplica],
          },
          dialectOptions: { connectTimeout: 5000, ...cfg.aurora }, // reach aurora-ha/mysql2 as they are
          pool: { max: cfg.poolSize, min: 0 },
          logging: false,
          ...clean,
        });
  const Row: ModelStatic<Model<{ k: string; w: number }>> = sequelize.define(
    table,
    {
      k: { type: DataTypes.STRING(64), primaryKey: true },
      w: { type: DataTypes.INTEGER, allowNull: false },
    },
    { tableName: table, timestamps: false },
  );
  return {
    name: 'sequelize',
    table,
    start: async () => undefined,
    insert: async (k, w) => {
      await Row.create({ k, w });
    },
    // A SELECT outside a transaction runs on the read pool.
    read: async () =>
      toRead(
        (
          await sequelize.query<Record<string, unknown>>(
            `SELECT ${c.id} AS id, ${c.ro} AS ro, ${c.n} AS n, ${c.s} AS s FROM ${SEED_TABLE}`,
            { type: QueryTypes.SELECT },
          )
        )[0],
      ),
    close: () => sequelize.close(),
  };
}

// ---------------------------------------------------------------- Kysely: two instances
interface KyselyDb {
  [table: string]: { k: string; w: number; v?: number };
}

function kyselyApp(engine: Engine, cfg: ReplicaAppConfig): ReplicaApp {
  const table = tableOf('kysely');
  const c = columns(engine);
  const dialect = (host: string): PostgresDialect | MysqlDialect =>
    engine === 'postgres'
      ? new PostgresDialect({ pool: pgPool(cfg, host) })
      : new MysqlDialect({
          pool: auroraMysql.createPool({ ...mysqlConnection(cfg, host), connectionLimit: cfg.poolSize }),
        });
  const writer = new Kysely<KyselyDb>({ dialect: dialect(cfg.writerHost) });
  const reader = new Kysely<KyselyDb>({ dialect: dialect(cfg.readerHost) });
  return {
    name: 'kysely',
    table,
    start: async () => undefined,
    insert: async (k, w) => {
      await writer.insertInto(table).values({ k, w }).execute();
    },
    read: async () =>
      toRead(
        await reader
          .selectFrom(SEED_TABLE)
          .select([
            ksql<string>`${ksql.raw(c.id)}`.as('id'),
            ksql<unknown>`${ksql.raw(c.ro)}`.as('ro'),
            ksql<number>`${ksql.raw(c.n)}`.as('n'),
            ksql<number>`${ksql.raw(c.s)}`.as('s'),
          ])
          .executeTakeFirst(),
      ),
    close: async () => {
      await Promise.all([writer.destroy(), reader.destroy()]);
    },
  };
}

// ---------------------------------------------------------------- Knex: two instances
function knexApp(engine: Engine, cfg: ReplicaAppConfig): ReplicaApp {
  const table = tableOf('knex');
  const c = columns(engine);
  const pgPools: PgPool[] = [];
  const instance = (host: string): Knex => {
    if (engine === 'postgres') {
      const pool = pgPool(cfg, host);
      pgPools.push(pool);
      return knex({ client: 'pg', connectionPool: pool });
    }
    return knex({
      client: AuroraKnexMysql2Client,
      connection: mysqlConnection(cfg, host),
      pool: { min: 0, max: cfg.poolSize },
    });
  };
  const writer = instance(cfg.writerHost);
  const reader = instance(cfg.readerHost);
  return {
    name: 'knex',
    table,
    start: async () => undefined,
    insert: async (k, w) => {
      await writer(table).insert({ k, w });
    },
    read: async () =>
      toRead(
        await reader<Record<string, unknown>>(SEED_TABLE).first<Record<string, unknown> | undefined>(
          reader.raw(`${c.id} AS id`),
          reader.raw(`${c.ro} AS ro`),
          reader.raw(`${c.n} AS n`),
          reader.raw(`${c.s} AS s`),
        ),
      ),
    close: async () => {
      await Promise.all([writer.destroy(), reader.destroy()]);
      await Promise.all(pgPools.map((p) => p.end()));
    },
  };
}

export interface ReplicaAppOptions {
  /** Sequelize with its own session statements (see sequelizeApp). */
  sequelizeDefaults?: boolean;
}

export function replicaApp(
  name: ReplicaOrmName,
  engine: Engine,
  cfg: ReplicaAppConfig,
  options: ReplicaAppOptions = {},
): ReplicaApp {
  switch (name) {
    case 'drizzle':
      return drizzleApp(engine, cfg);
    case 'typeorm':
      return typeormApp(engine, cfg);
    case 'sequelize':
      return sequelizeApp(engine, cfg, options.sequelizeDefaults === true);
    case 'kysely':
      return kyselyApp(engine, cfg);
    case 'knex':
      return knexApp(engine, cfg);
  }
}
