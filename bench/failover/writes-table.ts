/**
 * Creates the small table the failover workers write into, on the writer, with the plain
 * driver (setup is not what is measured), and tells whether the server can report which
 * instance took a write.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { EmulatedCluster } from '../../src/emulator.js';
import { WRITES_TABLE, type Engine, type WriteTarget } from './write-clients.js';

const PG_CREATE = `CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (
  grp text NOT NULL, worker int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`;
const MYSQL_CREATE = `CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (
  id BIGINT AUTO_INCREMENT PRIMARY KEY, grp VARCHAR(32) NOT NULL, worker INT NOT NULL,
  at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`;

/** Create the table; returns the target with `reportInstance` set to what the server supports. */
export async function prepareWritesTable(target: WriteTarget): Promise<WriteTarget> {
  const connection = { host: target.host, port: target.port, user: target.user, password: target.password };
  if (target.engine === 'mysql') {
    const conn = await mysql.createConnection({ ...connection, database: target.database });
    try {
      await conn.query(MYSQL_CREATE);
    } finally {
      await conn.end();
    }
    return { ...target, reportInstance: false };
  }
  const client = new pg.Client({ ...connection, database: target.database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(PG_CREATE);
    let reportInstance = true;
    try {
      await client.query('SELECT pg_catalog.aurora_db_instance_identifier()');
    } catch {
      reportInstance = false;
    }
    return { ...target, reportInstance };
  } finally {
    await client.end();
  }
}

/** prepareWritesTable on `cluster`'s writer endpoint, the target as the workers use it (no instance reporting). */
export async function prepareClusterWritesTable(
  engine: Engine,
  cluster: EmulatedCluster,
): Promise<WriteTarget> {
  const target = await prepareWritesTable({
    engine,
    ...cluster.writerEndpoint,
    ...cluster.credentials,
    reportInstance: false,
  });
  return { ...target, reportInstance: false };
}
