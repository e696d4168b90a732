/**
 * The MariaDB backend driven directly through the EngineBackend contract (Aurora flavour):
 * replication, Aurora MySQL metadata SQL per instance as the test user, read-only replicas,
 * crash + promote without losing acknowledged commits, and a clean shutdown.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AURORA_MYSQL } from '../../src/dialects/sql.js';
import type { BackendInstance, EngineBackend } from '../../src/emulator/engine.js';
import { createMysqlBackend } from '../../src/emulator/mysql/mysql-backend.js';

const credentials = { user: 'app_user', password: 'app-secret-1', database: 'appdb' };
const workDir = mkdtempSync(join(tmpdir(), 'aurora-ha-mysql-test-'));
const base = `127.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
const instances: BackendInstance[] = [1, 2, 3, 4].map((n) => ({
  id: `instance-${n}`,
  address: `${base}.${n}`,
  port: 3306,
  dir: join(workDir, `instance-${n}`),
}));
const [i1, i2, i3] = instances as [BackendInstance, BackendInstance, BackendInstance];
let backend: EngineBackend;

function connect(inst: BackendInstance): Promise<mysql.Connection> {
  return mysql.createConnection({ host: inst.address, port: inst.port, ...credentials });
}

async function rowsOf(
  inst: BackendInstance,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const conn = await connect(inst);
  try {
    const [rows] = await conn.query(sql, params);
    return rows as Record<string, unknown>[];
  } finally {
    await conn.end();
  }
}

async function eventually<T>(probe: () => Promise<T>, accept: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function topologyRows(writer: BackendInstance, members: readonly BackendInstance[]) {
  return members.map((m) => ({
    instanceId: m.id,
    isWriter: m.id === writer.id,
    endpoint: `${m.id}.example`,
    port: 3306,
    cpu: 2,
    lagMs: m.id === writer.id ? 0 : 5,
  }));
}

describe('MariaDB backend, Aurora flavour', () => {
  beforeAll(async () => {
    backend = createMysqlBackend({ flavor: 'aurora', workDir, ...credentials });
    // all at once, as the control plane does: readers wait for the writer themselves
    await Promise.all([backend.startWriter(i1), backend.startReader(i2, i1), backend.startReader(i3, i1)]);
    await backend.writeTopology(i1, topologyRows(i1, [i1, i2, i3]));
  });

  afterAll(async () => {
    await backend.shutdown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('replicates a write to every reader', async () => {
    await rowsOf(i1, 'CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20))');
    await rowsOf(i1, "INSERT INTO items VALUES (1, 'first')");
    for (const reader of [i2, i3]) {
      const rows = await eventually(
        () => rowsOf(reader, 'SELECT label FROM items WHERE id = 1').catch(() => []),
        (r) => r.length === 1,
      );
      expect(rows).toEqual([{ label: 'first' }]);
    }
  });

  it('answers every AURORA_MYSQL query per instance, as the test user', async () => {
    await eventually(
      () => rowsOf(i3, AURORA_MYSQL.topology),
      (r) => r.length === 3,
    );
    for (const inst of [i1, i2, i3]) {
      const isWriter = inst === i1;
      const conn = await connect(inst);
      const [detect] = await conn.query(AURORA_MYSQL.detect);
      expect(detect).toEqual([{ Variable_name: 'aurora_version', Value: '3.05.2' }]);
      const [id] = await conn.query<mysql.RowDataPacket[]>(AURORA_MYSQL.instanceId);
      expect(Object.values(id[0] ?? {})).toEqual([inst.id]);
      const [reader] = await conn.query<mysql.RowDataPacket[]>(AURORA_MYSQL.isReader);
      expect(Object.values(reader[0] ?? {})).toEqual([isWriter ? 0 : 1]);
      const [topology] = await conn.query<mysql.RowDataPacket[]>(AURORA_MYSQL.topology);
      expect(topology.map((r) => [r.SERVER_ID, Number(r.IS_WRITER)]).sort()).toEqual([
        ['instance-1', 1],
        ['instance-2', 0],
        ['instance-3', 0],
      ]);
      expect(topology.find((r) => r.SERVER_ID === 'instance-2')?.LAG_MS).toBe(5);
      // the same text as a prepared statement (COM_STMT_PREPARE is rewritten too)
      const [check] = await conn.execute<mysql.RowDataPacket[]>(AURORA_MYSQL.writerCheck);
      expect(check.map((r) => r.SERVER_ID)).toEqual(isWriter ? [inst.id] : []);
      await conn.end();
    }
  });

  it('refuses a write on a reader with 1290 (read-only) for the test user', async () => {
    await expect(rowsOf(i2, "INSERT INTO items VALUES (2, 'nope')")).rejects.toMatchObject({ errno: 1290 });
  });

  it('keeps every acknowledged commit through crash + promote; the new writer knows first', async () => {
    const writerConn = await connect(i1);
    let acknowledged = 0;
    for (let n = 100; n < 160; n++) {
      await writerConn.query('INSERT INTO items VALUES (?, ?)', [n, `row-${n}`]);
      acknowledged++;
    }
    writerConn.destroy();
    await backend.crash(i1);

    const positions = await Promise.all(
      [i2, i3].map(async (r) => [r, await backend.replicationPosition(r)] as const),
    );
    positions.sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1));
    const [newWriter, other] = positions.map((p) => p[0]) as [BackendInstance, BackendInstance];
    await backend.promote(newWriter);
    await backend.writeTopology(newWriter, topologyRows(newWriter, [newWriter, other]));

    // the new writer reports itself writer at once; the other reader still shows the old topology
    expect((await rowsOf(newWriter, AURORA_MYSQL.writerCheck)).map((r) => r.SERVER_ID)).toEqual([
      newWriter.id,
    ]);
    expect((await rowsOf(newWriter, AURORA_MYSQL.isReader)).map((r) => Object.values(r)[0])).toEqual([0]);
    const stale = await rowsOf(other, AURORA_MYSQL.topology);
    expect(stale.filter((r) => Number(r.IS_WRITER) === 1).map((r) => r.SERVER_ID)).toEqual(['instance-1']);

    await backend.repoint(other, newWriter);
    const fresh = await eventually(
      () => rowsOf(other, AURORA_MYSQL.topology),
      (r) => r.some((row) => Number(row.IS_WRITER) === 1 && row.SERVER_ID === newWriter.id),
    );
    expect(fresh.filter((r) => Number(r.IS_WRITER) === 1).map((r) => r.SERVER_ID)).toEqual([newWriter.id]);

    const count = async (inst: BackendInstance): Promise<number> =>
      Number((await rowsOf(inst, 'SELECT COUNT(*) AS n FROM items WHERE id >= 100'))[0]?.n);
    expect(await count(newWriter)).toBe(acknowledged);
    await rowsOf(newWriter, "INSERT INTO items VALUES (500, 'after')");
    expect(
      await eventually(
        () => count(other),
        (n) => n === acknowledged + 1,
      ),
    ).toBe(acknowledged + 1);

    // the old writer comes back as a reader with everything
    await backend.rebuildAsReader(i1, newWriter);
    expect(await count(i1)).toBe(acknowledged + 1);
    expect((await rowsOf(i1, AURORA_MYSQL.isReader)).map((r) => Object.values(r)[0])).toEqual([1]);
    await expect(rowsOf(i1, "INSERT INTO items VALUES (3, 'nope')")).rejects.toMatchObject({ errno: 1290 });
  });

  it('refuses connections while crashed and replicates again after restart', async () => {
    await backend.crash(i1);
    await expect(connect(i1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await backend.restart(i1);
    const rows = await eventually(
      () => rowsOf(i1, 'SELECT COUNT(*) AS n FROM items'),
      (r) => Number(r[0]?.n) > 0,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  });

  it('leaves no mariadbd process and no file after shutdown', async () => {
    await backend.shutdown();
    await backend.shutdown(); // idempotent
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((line) => line.includes(workDir))).toEqual([]);
    for (const inst of instances) expect(existsSync(inst.dir)).toBe(false);
  });
});
