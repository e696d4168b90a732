/**
 * The clients the overhead benchmark compares, behind one small interface: raw `pg` /
 * `mysql2/promise`, aurora-ha with `plugins: []`, aurora-ha with the default plugins; and
 * the same three as pools (`pg.Pool` against aurora-ha/pg's Pool, mysql2/promise's pool
 * against aurora-ha/mysql2/promise's), driven through `pool.query`.
 * All of them connect straight to the engine's own address (not through the emulator's
 * in-process fault proxy, whose CPU would dilute the difference being measured).
 */
import rawMysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { builtMysql2Promise, builtPg } from './built-package.js';

const { Client, Pool } = builtPg;
const { createConnection, createPool } = builtMysql2Promise;

export interface BenchClient {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

export interface Variant {
  readonly name: VariantKind;
  open(): Promise<BenchClient>;
}

export type VariantKind = 'raw' | 'plugins: []' | 'default plugins';
export const VARIANT_KINDS: readonly VariantKind[] = ['raw', 'plugins: []', 'default plugins'];

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

function wrapperOptions(kind: VariantKind, cluster: EmulatedCluster): Record<string, unknown> {
  if (kind === 'plugins: []') return { plugins: [] };
  // An IP address carries no instance pattern: give the cluster's (as users of IPs must).
  return { clusterInstanceHostPattern: cluster.instanceHostPattern };
}

/** The engine's own address, asked from the engine through the writer endpoint. */
export async function pgTarget(cluster: EmulatedCluster): Promise<Target> {
  const { user, password, database } = cluster.credentials;
  const c = new pg.Client({
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    user,
    password,
    database,
  });
  await c.connect();
  const r = await c.query<{ a: string; p: number }>(
    'SELECT host(inet_server_addr()) AS a, inet_server_port() AS p',
  );
  await c.end();
  const row = r.rows[0];
  if (row === undefined) throw new Error('no server address');
  return { host: row.a, port: row.p, user, password, database };
}

export async function mysqlTarget(cluster: EmulatedCluster): Promise<Target> {
  const { user, password, database } = cluster.credentials;
  const c = await rawMysql.createConnection({
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    user,
    password,
    database,
  });
  const [rows] = await c.query<rawMysql.RowDataPacket[]>('SELECT @@bind_address AS a, @@port AS p');
  await c.end();
  const row = rows[0];
  if (row === undefined) throw new Error('no server address');
  return { host: String(row.a), port: Number(row.p), user, password, database };
}

export function pgVariant(cluster: EmulatedCluster, target: Target, kind: VariantKind): Variant {
  return {
    name: kind,
    async open(): Promise<BenchClient> {
      if (kind === 'raw') {
        const raw = new pg.Client(target);
        raw.on('error', (err) => console.error(`raw pg client: ${err.message}`));
        await raw.connect();
        return { query: (sql) => raw.query(sql), end: () => raw.end() };
      }
      const c = new Client({ ...target, ...wrapperOptions(kind, cluster) });
      c.on('error', (err) => console.error(`aurora-ha client: ${err.message}`));
      await c.connect();
      return { query: (sql) => c.query(sql), end: () => c.end() };
    },
  };
}

export function mysqlVariant(cluster: EmulatedCluster, target: Target, kind: VariantKind): Variant {
  return {
    name: kind,
    async open(): Promise<BenchClient> {
      if (kind === 'raw') {
        const raw = await rawMysql.createConnection(target);
        raw.on('error', (err: Error) => console.error(`raw mysql2 connection: ${err.message}`));
        return { query: (sql) => raw.query(sql), end: () => raw.end() };
      }
      const c = await createConnection({ ...target, ...wrapperOptions(kind, cluster) });
      c.on('error', (err: Error) => console.error(`aurora-ha connection: ${err.message}`));
      return { query: (sql) => c.query(sql), end: () => c.end() };
    },
  };
}

/** A pool of `size` connections, driven through `pool.query` (one BenchClient for the whole pool). */
export function pgPoolVariant(
  cluster: EmulatedCluster,
  target: Target,
  kind: VariantKind,
  size: number,
): Variant {
  return {
    name: kind,
    async open(): Promise<BenchClient> {
      const pool =
        kind === 'raw'
          ? new pg.Pool({ ...target, max: size })
          : new Pool({ ...target, max: size, ...wrapperOptions(kind, cluster) });
      pool.on('error', (err: Error) => console.error(`${kind} pg pool: ${err.message}`));
      // Open every connection before measuring: the bench times queries, not connects.
      const held = await Promise.all(Array.from({ length: size }, () => pool.connect()));
      for (const c of held) c.release();
      return { query: (sql) => pool.query(sql), end: () => pool.end() };
    },
  };
}

interface PromisePoolLike {
  query(sql: string): Promise<unknown>;
  getConnection(): Promise<{ release(): void }>;
  end(): Promise<void>;
}

export function mysqlPoolVariant(
  cluster: EmulatedCluster,
  target: Target,
  kind: VariantKind,
  size: number,
): Variant {
  return {
    name: kind,
    async open(): Promise<BenchClient> {
      const pool = (kind === 'raw'
        ? rawMysql.createPool({ ...target, connectionLimit: size })
        : createPool({
            ...target,
            connectionLimit: size,
            ...wrapperOptions(kind, cluster),
          })) as unknown as PromisePoolLike;
      const held = await Promise.all(Array.from({ length: size }, () => pool.getConnection()));
      for (const c of held) c.release();
      return { query: (sql) => pool.query(sql), end: () => pool.end() };
    },
  };
}
