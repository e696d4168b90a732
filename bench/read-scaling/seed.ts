/**
 * The table the read workers read: ROWS rows v = 1..ROWS on the writer, then a bounded wait
 * until every reader has replayed them (a read is "right" when it sees exactly these rows).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';

export const READS_TABLE = 'bench_reads';
export const ROWS = 100;
export const SUM = (ROWS * (ROWS + 1)) / 2;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Run `statements` on `host` (plain driver, one connection) and return the last one's first cell. */
async function run(c: EmulatedCluster, host: string, statements: readonly string[]): Promise<unknown> {
  const at = { host, port: c.writerEndpoint.port, ...c.credentials };
  let last: unknown;
  if (c.engine === 'postgres') {
    const client = new pg.Client(at);
    client.on('error', () => undefined);
    await client.connect();
    try {
      for (const sql of statements) last = Object.values((await client.query(sql)).rows[0] ?? {})[0];
    } finally {
      await client.end();
    }
    return last;
  }
  const conn = await mysql.createConnection(at);
  conn.on('error', () => undefined);
  try {
    for (const sql of statements) {
      const [rows] = await conn.query(sql);
      last = Array.isArray(rows) ? Object.values((rows[0] ?? {}) as object)[0] : undefined;
    }
  } finally {
    await conn.end();
  }
  return last;
}

export async function seedReadsTable(c: EmulatedCluster): Promise<void> {
  const fill =
    c.engine === 'postgres'
      ? `INSERT INTO ${READS_TABLE} SELECT g FROM generate_series(1, ${ROWS}) g`
      : `INSERT INTO ${READS_TABLE} (v) WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ${ROWS}) SELECT x FROM g`;
  await run(c, c.writerEndpoint.host, [`CREATE TABLE ${READS_TABLE} (v int NOT NULL)`, fill]);
  const until = Date.now() + 30_000;
  for (const reader of c.instances().filter((i) => i.role === 'reader'))
    for (;;) {
      const n = await run(c, reader.host, [`SELECT count(*) FROM ${READS_TABLE}`]).catch(() => -1);
      if (Number(n) === ROWS) break;
      if (Date.now() > until)
        throw new Error(`${reader.id} never replayed the seeded rows (saw ${String(n)})`);
      await pause(100);
    }
}
