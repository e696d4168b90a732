/**
 * The two kinds of client the benchmark compares, for both engines: a plain driver connection
 * and an aurora-ha connection with `initialConnection` (+ `failover`), each opened through the
 * writer cluster endpoint and made to write once. Both resolve to "writable" or throw.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';

function base(c: EmulatedCluster): Record<string, unknown> {
  const { user, password, database } = c.credentials;
  const { host, port } = c.writerEndpoint;
  return c.engine === 'postgres'
    ? { host, port, user, password, database, connectionTimeoutMillis: 5000 }
    : { host, port, user, password, database, connectTimeout: 5000 };
}

export async function createWritesTable(c: EmulatedCluster): Promise<void> {
  const writer = c.instances().find((i) => i.role === 'writer');
  if (writer === undefined) throw new Error('no writer');
  if (c.engine === 'postgres') {
    const client = new pg.Client({ ...base(c), host: writer.host });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS bench_ic (v int)').finally(() => client.end());
    return;
  }
  const m = await mysql.createConnection({ ...base(c), host: writer.host });
  await m.query('CREATE TABLE IF NOT EXISTS bench_ic (v INT)').finally(() => m.end());
}

/** A plain driver connection through the writer endpoint, then one write; closed either way. */
export async function plainWritable(c: EmulatedCluster): Promise<void> {
  if (c.engine === 'postgres') {
    const client = new pg.Client(base(c));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('INSERT INTO bench_ic (v) VALUES (1)');
    } finally {
      await client.end().catch(() => undefined);
    }
    return;
  }
  const conn = await mysql.createConnection(base(c));
  conn.on('error', () => undefined);
  try {
    await conn.query('INSERT INTO bench_ic (v) VALUES (1)');
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/**
 * An aurora-ha connection (initialConnection + failover) through the writer endpoint, then one
 * write; `connected` is called when connect() resolved (before the write).
 */
export async function auroraWritable(
  c: EmulatedCluster,
  connected: () => void = () => undefined,
): Promise<{ end(): Promise<void> }> {
  const config = { ...base(c), plugins: ['initialConnection', 'failover'] };
  if (c.engine === 'postgres') {
    const client = new Client(config);
    try {
      await client.connect();
      connected();
      await client.query('INSERT INTO bench_ic (v) VALUES (1)');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return { end: () => client.end() };
  }
  const conn = new PromiseConnection(config);
  try {
    await conn.connect();
    connected();
    await conn.query('INSERT INTO bench_ic (v) VALUES (1)');
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw err;
  }
  return { end: () => conn.end() };
}
