/**
 * Engine-neutral clients for the initialConnection tests: an aurora-ha connection (pg Client or
 * mysql2/promise connection) and a plain driver connection, each able to say which instance it
 * is on and to make a write; plus the writes table. Lets one suite run on both engines.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';
import { mysqlConfig, pgConfig } from './cluster.js';

export interface TestConnection {
  instanceId(): Promise<string>;
  write(value: number): Promise<void>;
  end(): Promise<void>;
}

const PG_ID = 'SELECT pg_catalog.aurora_db_instance_identifier() AS id';
const MYSQL_ID = 'SELECT @@aurora_server_id AS id';

function configFor(c: EmulatedCluster, host: string): Record<string, unknown> {
  return c.engine === 'postgres' ? { ...pgConfig(c, host) } : { ...mysqlConfig(c, host) };
}

/** An aurora-ha connection through `host` with `options` (plugins default: initialConnection + failover). */
export async function openAurora(
  c: EmulatedCluster,
  host: string,
  options: Record<string, unknown> = {},
): Promise<TestConnection> {
  const config = { ...configFor(c, host), plugins: ['initialConnection', 'failover'], ...options };
  if (c.engine === 'postgres') {
    const client = new Client(config);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return {
      instanceId: async () => String((await client.query<{ id: string }>(PG_ID)).rows[0]!.id),
      write: async (v) => void (await client.query('INSERT INTO ic_writes (v) VALUES ($1)', [v])),
      end: () => client.end(),
    };
  }
  const conn = new PromiseConnection(config);
  try {
    await conn.connect();
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw err;
  }
  return {
    instanceId: async () => {
      const [rows] = (await conn.query(MYSQL_ID)) as [{ id: unknown }[], unknown];
      return String(rows[0]!.id);
    },
    write: async (v) => void (await conn.query('INSERT INTO ic_writes (v) VALUES (?)', [v])),
    end: () => conn.end(),
  };
}

/** A plain driver connection through `host` (what an application without aurora-ha gets). */
export async function openPlain(c: EmulatedCluster, host: string): Promise<TestConnection> {
  if (c.engine === 'postgres') {
    const client = new pg.Client(pgConfig(c, host));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return {
      instanceId: async () => String((await client.query<{ id: string }>(PG_ID)).rows[0]!.id),
      write: async (v) => void (await client.query('INSERT INTO ic_writes (v) VALUES ($1)', [v])),
      end: () => client.end(),
    };
  }
  const conn = await mysql.createConnection(mysqlConfig(c, host));
  conn.on('error', () => undefined);
  return {
    instanceId: async () => {
      const [rows] = (await conn.query(MYSQL_ID)) as [{ id: unknown }[], unknown];
      return String(rows[0]!.id);
    },
    write: async (v) => void (await conn.query('INSERT INTO ic_writes (v) VALUES (?)', [v])),
    end: () => conn.end(),
  };
}

/** Create the writes table through the current writer instance. */
export async function createWritesTable(c: EmulatedCluster): Promise<void> {
  const writer = c.instances().find((i) => i.role === 'writer');
  if (writer === undefined) throw new Error('no writer');
  if (c.engine === 'postgres') {
    const client = new pg.Client(pgConfig(c, writer.host));
    await client.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS ic_writes (v int)');
    } finally {
      await client.end();
    }
    return;
  }
  const m = await mysql.createConnection(mysqlConfig(c, writer.host));
  try {
    await m.query('CREATE TABLE IF NOT EXISTS ic_writes (v INT)');
  } finally {
    await m.end();
  }
}

/** How many of `ids` are on each instance. */
export function tally(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

/** The cluster id aurora-ha uses for an emulated cluster (instance pattern + port). */
export function auroraClusterId(c: EmulatedCluster): string {
  return `${c.instanceHostPattern}#${c.writerEndpoint.port}`;
}
