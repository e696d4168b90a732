/**
 * Child process of test/integration/orm-pg-failover.test.ts: one ORM on `aurora-ha/pg`
 * (plugged in as the ORM documents), 10 workers inserting uniquely keyed rows through it while
 * the parent fails the writer over: every other write is a two-row transaction of the ORM's
 * own API. The cluster runs in the parent; this process serves its
 * names itself (updated by the parent after the DNS switch) and counts its own socket connects
 * to the cluster (every one is the ORM pool's or aurora-ha's: no emulator here).
 *
 * Protocol: lines `@@{json}` on stdout (`ready`, `recovered`, `summary`, `ended`); commands
 * on stdin: `failover <ms>`, `promoted <ms>`, `names <json>`, `stop`.
 */
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { registerNames } from '../../src/emulator/dns.js';
import { fromMonitor } from './connect-origin.js';
import { MONITOR_CHANNEL, type MonitorMessage } from '../../src/observe/channels.js';
import { findFailoverError, isFailoverError } from '../../src/index.js';
import { Pool, createDriver } from '../../src/pg.js';

export type OrmName = 'knex' | 'kysely' | 'drizzle' | 'sequelize' | 'typeorm';

export interface ChildSettings {
  orm: OrmName;
  table: string;
  workers: number;
  poolSize: number;
  names: Record<string, string>;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** aurora-ha options of the ORM's pool / driver; absent: failover2 with connect failover (below). */
  aurora?: Record<string, unknown>;
}

/** What the child reports at the end. */
export interface ChildSummary {
  orm: OrmName;
  acked: number;
  /** Acknowledged keys missing from the table afterwards. */
  lost: string[];
  /** Two-row transactions (acknowledged or not) of which only one row is in the table. */
  halfTransactions: string[];
  /** Two-row transactions attempted. */
  transactions: number;
  /** Errors the application saw that are not aurora-ha's failover outcomes (through the ORM's wrapper). */
  foreign: string[];
  /** aurora-ha failover outcomes seen, by error name. */
  failoverErrors: Record<string, number>;
  /** Per worker: ms from `promoted` to its first acknowledged write after it (null: none). */
  firstWriteAfterPromotedMs: (number | null)[];
  /** Socket connects to the cluster from the failover to the stop by the pool and its failover. */
  connects: number;
  /** Those of them that failed (refused by the old writer behind the stale endpoint). */
  refused: number;
  /** Per host: ms (since `failover`) of each connect of failover2's topology monitor in that time. */
  monitorConnects: Record<string, number[]>;
  /** Every connect of that time, one line each: ms after `promoted`, address, outcome, who asked. */
  connectLog: string[];
}

interface Orm {
  warm(): Promise<void>;
  insert(k: string, w: number): Promise<void>;
  /** Rows `k` and `k + 't'` in one transaction of the ORM's own API. */
  insertPair(k: string, w: number): Promise<void>;
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

const settings = JSON.parse(process.env.ORM_CHILD ?? '{}') as ChildSettings;
// As docs/orms.md recommends for ORM pools (and the MySQL ORM test uses): an ORM that pools
// clients itself (Sequelize) replaces a lost one by a new connect through the cluster endpoint,
// whose DNS still names the dead writer; enableConnectFailover sends that connect to the
// verified writer instead of retrying it (22 connects for a pool of 10 were seen without it).
// `settings.aurora` = {} runs with no aurora-ha option at all (the default plugins, every setting
// at its default), as a user who plugs aurora-ha in and configures nothing.
const aurora = settings.aurora ?? { plugins: ['failover2'], enableConnectFailover: true };
const IDLE_MS = 120_000;
/** Pause of a worker between two writes (10 workers: ~150 writes/s per ORM). */
const WRITE_PAUSE_MS = 50;

function say(msg: Record<string, unknown>): void {
  process.stdout.write(`@@${JSON.stringify(msg)}\n`);
}

// Names: mutable, as the parent reports the DNS switch.
let names = settings.names;
registerNames((h) => names[h.toLowerCase()]);

// Socket connects to the cluster's port, with their time, address, outcome and who asked.
interface ConnectRecord {
  at: number;
  host: string;
  outcome: string;
  /** failover2's topology monitor (src/topology/ on the stack), or the pool / its failover. */
  by: 'monitor' | 'pool';
}
const connectRecords: ConnectRecord[] = [];
/** The monitor's mode changes and verified writers (aurora-ha:monitor), shown between the connects. */
const monitorEvents: { at: number; text: string }[] = [];
diagnostics.subscribe(MONITOR_CHANNEL, (m) => {
  const e = m as MonitorMessage;
  if (e.event === 'mode') monitorEvents.push({ at: e.at, text: `monitor ${e.mode} (${e.reason})` });
  if (e.event === 'writer-verified') monitorEvents.push({ at: e.at, text: `monitor verified ${e.writer}` });
});
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  const opts =
    typeof first === 'object' && first !== null ? (first as { port?: unknown; host?: unknown }) : undefined;
  const port = opts !== undefined ? opts.port : first;
  if (Number(port) === settings.port) {
    const record: ConnectRecord = {
      at: Date.now(),
      host: typeof opts?.host === 'string' ? opts.host : typeof args[1] === 'string' ? args[1] : '?',
      outcome: 'pending',
      by: fromMonitor() ? 'monitor' : 'pool',
    };
    connectRecords.push(record);
    this.once('connect', () => (record.outcome = 'ok'));
    this.once('error', (e: NodeJS.ErrnoException) => {
      if (record.outcome === 'pending') record.outcome = e.code ?? e.message;
    });
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
};

const conn = {
  host: settings.host,
  port: settings.port,
  user: settings.user,
  password: settings.password,
  database: settings.database,
};

function monitorByHost(records: readonly ConnectRecord[], since: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of records) if (r.by === 'monitor') (out[r.host] ??= []).push(r.at - since);
  return out;
}

function warmQueries(run: () => Promise<unknown>): Promise<void> {
  return Promise.all(Array.from({ length: settings.poolSize }, run)).then(() => undefined);
}

function pool(): Pool {
  return new Pool({ ...conn, ...aurora, max: settings.poolSize, idleTimeoutMillis: IDLE_MS });
}

/** The ORM, loaded on its own (a child loads only the one it runs). */
async function makeOrm(name: OrmName, table: string): Promise<Orm> {
  switch (name) {
    case 'knex': {
      const { default: knex } = await import('knex');
      const p = pool();
      const db = knex({ client: 'pg', connectionPool: p });
      return {
        warm: () => warmQueries(() => db.raw('SELECT pg_sleep(0.3)')),
        insert: async (k, w) => {
          await db(table).insert({ k, w });
        },
        insertPair: (k, w) =>
          db.transaction(async (trx) => {
            await trx(table).insert({ k, w });
            await trx(table).insert({ k: `${k}t`, w });
          }),
        keys: async () => (await db(table).select<{ k: string }[]>('k')).map((r) => r.k),
        close: async () => {
          await db.destroy();
          await p.end();
        },
      };
    }
    case 'kysely': {
      const { Kysely, PostgresDialect, sql: ksql } = await import('kysely');
      interface Db {
        [t: string]: { k: string; w: number };
      }
      const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool: pool() }) });
      return {
        warm: () => warmQueries(() => ksql`SELECT pg_sleep(0.3)`.execute(db)),
        insert: async (k, w) => {
          await db.insertInto(table).values({ k, w }).execute();
        },
        insertPair: (k, w) =>
          db.transaction().execute(async (tx) => {
            await tx.insertInto(table).values({ k, w }).execute();
            await tx
              .insertInto(table)
              .values({ k: `${k}t`, w })
              .execute();
          }),
        keys: async () => (await db.selectFrom(table).select('k').execute()).map((r) => r.k),
        close: () => db.destroy(),
      };
    }
    case 'drizzle': {
      const { sql: dsql } = await import('drizzle-orm');
      const { drizzle } = await import('drizzle-orm/node-postgres');
      const { integer, pgTable, text } = await import('drizzle-orm/pg-core');
      const p = pool();
      const db = drizzle(p);
      const rows = pgTable(table, { k: text('k').primaryKey(), w: integer('w').notNull() });
      return {
        warm: () => warmQueries(() => db.execute(dsql`SELECT pg_sleep(0.3)`)),
        insert: async (k, w) => {
          await db.insert(rows).values({ k, w });
        },
        insertPair: (k, w) =>
          db.transaction(async (tx) => {
            await tx.insert(rows).values({ k, w });
            await tx.insert(rows).values({ k: `${k}t`, w });
          }),
        keys: async () => (await db.select({ k: rows.k }).from(rows)).map((r) => r.k),
        close: () => p.end(),
      };
    }
    case 'sequelize': {
      const { DataTypes, Sequelize } = await import('sequelize');
      const sequelize = new Sequelize(conn.database, conn.user, conn.password, {
        dialect: 'postgres',
        dialectModule: createDriver(aurora),
        host: conn.host,
        port: conn.port,
        logging: false,
        pool: { max: settings.poolSize, min: 0, idle: IDLE_MS },
      });
      const Row = sequelize.define(
        'row',
        { k: { type: DataTypes.TEXT, primaryKey: true }, w: { type: DataTypes.INTEGER, allowNull: false } },
        { tableName: table, timestamps: false },
      );
      return {
        warm: () => warmQueries(() => sequelize.query('SELECT pg_sleep(0.3)')),
        insert: async (k, w) => {
          await Row.create({ k, w });
        },
        insertPair: (k, w) =>
          sequelize.transaction(async (transaction) => {
            await Row.create({ k, w }, { transaction });
            await Row.create({ k: `${k}t`, w }, { transaction });
          }),
        keys: async () => (await Row.findAll({ attributes: ['k'] })).map((r) => String(r.get('k'))),
        close: () => sequelize.close(),
      };
    }
    case 'typeorm': {
      await import('reflect-metadata');
      const { DataSource, EntitySchema } = await import('typeorm');
      const entity = new EntitySchema<{ k: string; w: number }>({
        name: table,
        tableName: table,
        columns: { k: { type: String, primary: true }, w: { type: Number } },
      });
      const ds = new DataSource({
        type: 'postgres',
        driver: createDriver(aurora),
        host: conn.host,
        port: conn.port,
        username: conn.user,
        password: conn.password,
        database: conn.database,
        entities: [entity],
        poolSize: settings.poolSize,
        extra: { idleTimeoutMillis: IDLE_MS },
      });
      const ready = ds.initialize();
      return {
        warm: async () => {
          await ready;
          await warmQueries(() => ds.query('SELECT pg_sleep(0.3)'));
        },
        insert: async (k, w) => {
          await ds.getRepository(entity).insert({ k, w });
        },
        insertPair: (k, w) =>
          ds.transaction(async (em) => {
            await em.getRepository(entity).insert({ k, w });
            await em.getRepository(entity).insert({ k: `${k}t`, w });
          }),
        keys: async () => (await ds.getRepository(entity).find({ select: { k: true } })).map((r) => r.k),
        close: () => ds.destroy(),
      };
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const orm = await makeOrm(settings.orm, settings.table);
  await orm.warm();
  const acked = new Set<string>();
  /** First keys of the two-row transactions attempted (acknowledged or not). */
  const pairs: string[] = [];
  const ackTimes: number[][] = Array.from({ length: settings.workers }, () => []);
  const foreign: string[] = [];
  const failoverErrors: Record<string, number> = {};
  let failoverAt: number | undefined;
  let promotedAt: number | undefined;
  let stopping = false;
  let readySaid = false;
  let recoveredSaid = false;

  const firstAfterPromoted = (): (number | null)[] =>
    ackTimes.map((ts) => {
      if (promotedAt === undefined) return null;
      const t = ts.find((x) => x >= promotedAt!);
      return t === undefined ? null : t - promotedAt;
    });

  const progress = (): void => {
    if (!readySaid && ackTimes.every((ts) => ts.length > 0)) {
      readySaid = true;
      say({ ready: true });
    }
    if (!recoveredSaid && promotedAt !== undefined && firstAfterPromoted().every((d) => d !== null)) {
      recoveredSaid = true;
      say({ recovered: firstAfterPromoted() });
    }
  };

  const worker = async (w: number): Promise<void> => {
    for (let n = 0; !stopping; n++) {
      const k = `${w}-${n}`;
      const pair = n % 2 === 1;
      if (pair) pairs.push(k);
      try {
        if (pair) await orm.insertPair(k, w);
        else await orm.insert(k, w);
        acked.add(k);
        if (pair) acked.add(`${k}t`);
        ackTimes[w]!.push(Date.now());
        progress();
        await sleep(WRITE_PAUSE_MS);
      } catch (err) {
        if (isFailoverError(err)) {
          const name = findFailoverError(err)?.name ?? 'unknown';
          failoverErrors[name] = (failoverErrors[name] ?? 0) + 1;
        } else {
          const e = err as { name?: string; message?: string };
          if (foreign.length < 20) foreign.push(`${e.name ?? typeof err}: ${e.message ?? String(err)}`);
          await sleep(100);
        }
      }
    }
  };

  const workers = Array.from({ length: settings.workers }, (_, w) => worker(w));
  const stopped = new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const sp = line.indexOf(' ');
      const cmd = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      if (cmd === 'failover') failoverAt = Number(arg);
      else if (cmd === 'promoted') {
        promotedAt = Number(arg);
        progress();
      } else if (cmd === 'names') names = JSON.parse(arg) as Record<string, string>;
      else if (cmd === 'stop') {
        rl.close();
        resolve();
      }
    });
  });
  await stopped;
  const stopAt = Date.now();
  stopping = true;
  await Promise.all(workers);
  const present = new Set(await orm.keys());
  const during = connectRecords.filter(
    (r) => failoverAt !== undefined && r.at >= failoverAt && r.at <= stopAt,
  );
  const summary: ChildSummary = {
    orm: settings.orm,
    acked: acked.size,
    lost: [...acked].filter((k) => !present.has(k)).slice(0, 20),
    halfTransactions: pairs.filter((k) => present.has(k) !== present.has(`${k}t`)).slice(0, 20),
    transactions: pairs.length,
    foreign,
    failoverErrors,
    firstWriteAfterPromotedMs: firstAfterPromoted(),
    connects: during.filter((r) => r.by === 'pool').length,
    refused: during.filter((r) => r.by === 'pool' && r.outcome !== 'ok').length,
    monitorConnects: monitorByHost(during, failoverAt ?? 0),
    connectLog: [
      ...during.map((r) => ({ at: r.at, text: `${r.host} ${r.outcome} ${r.by}` })),
      ...monitorEvents.filter((e) => failoverAt !== undefined && e.at >= failoverAt && e.at <= stopAt),
    ]
      .sort((a, b) => a.at - b.at)
      .map((e) => `${e.at - (promotedAt ?? failoverAt ?? 0)} ms ${e.text}`),
  };
  say({ summary });
  await orm.close();
  net.Socket.prototype.connect = originalConnect;
  say({ ended: true });
}

main().catch((err: unknown) => {
  say({ fatal: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exitCode = 1;
});
