/**
 * The MariaDB emulator in the Aurora flavour through `startCluster` and plain `mysql2` on the
 * emulator's names: replication, Aurora MySQL's metadata SQL (src/dialects/sql.ts, unmodified,
 * as the test user) on writer and readers, read-only readers, failover (new writer knows
 * first, no acknowledged commit lost, old writer back as a reader) and a clean stop.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { AURORA_MYSQL } from '../../src/dialects/sql.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', instances: 3 });

async function rows(host: string, sql: string, params: unknown[] = []): Promise<mysql.RowDataPacket[]> {
  const conn = await mysql.createConnection(mysqlConfig(cluster(), host));
  try {
    const [result] = await conn.query<mysql.RowDataPacket[]>(sql, params);
    return result;
  } finally {
    conn.destroy();
  }
}

const scalar = async (host: string, sql: string): Promise<unknown> =>
  Object.values((await rows(host, sql))[0] ?? {})[0];

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
}

const writerOf = () => {
  const w = cluster()
    .instances()
    .find((i) => i.role === 'writer');
  if (!w) throw new Error('no writer');
  return w;
};

/** mariadbd processes of this cluster (their bind address is in the cluster's subnet). */
function mariadbdProcesses(subnet: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('mariadbd') && line.includes(`--bind-address=${subnet}`));
}

describe('MariaDB emulator, Aurora flavour', () => {
  it('replicates: a write on the writer endpoint is readable on every reader', async () => {
    const c = cluster();
    await rows(c.writerEndpoint.host, 'CREATE TABLE repl_check (v VARCHAR(40))');
    const marker = `m-${Date.now()}`;
    await rows(c.writerEndpoint.host, 'INSERT INTO repl_check VALUES (?)', [marker]);
    const readers = c.instances().filter((i) => i.role === 'reader');
    expect(readers).toHaveLength(2);
    for (const r of readers) {
      const found = await eventually(
        () => rows(r.host, 'SELECT v FROM repl_check WHERE v = ?', [marker]).catch(() => []),
        (x) => x.length === 1,
      );
      expect(found.map((x) => x.v)).toEqual([marker]);
    }
  });

  it("answers Aurora MySQL's metadata SQL per instance, as the test user", async () => {
    const c = cluster();
    const writerId = writerOf().id;
    for (const inst of c.instances()) {
      const isWriter = inst.id === writerId;
      expect(await rows(inst.host, AURORA_MYSQL.detect)).toEqual([
        { Variable_name: 'aurora_version', Value: '3.05.2' },
      ]);
      expect(await scalar(inst.host, AURORA_MYSQL.instanceId)).toBe(inst.id);
      expect(await scalar(inst.host, AURORA_MYSQL.isReader)).toBe(isWriter ? 0 : 1);
      const topology = await eventually(
        () => rows(inst.host, AURORA_MYSQL.topology),
        (r) => r.length === 3,
      );
      expect(topology.map((r) => String(r.SERVER_ID)).sort()).toEqual(
        c
          .instances()
          .map((i) => i.id)
          .sort(),
      );
      expect(topology.filter((r) => Number(r.IS_WRITER) === 1).map((r) => r.SERVER_ID)).toEqual([writerId]);
      const check = await rows(inst.host, AURORA_MYSQL.writerCheck);
      expect(check.map((r) => r.SERVER_ID)).toEqual(isWriter ? [inst.id] : []);
    }
  });

  it('reports a reader as read-only in any query shape (also next to an aggregate)', async () => {
    const c = cluster();
    for (const inst of c.instances()) {
      const [row] = await rows(inst.host, 'SELECT COUNT(*) AS n, @@innodb_read_only AS ro FROM repl_check');
      expect(row?.ro).toBe(inst.role === 'reader' ? 1 : 0);
    }
  });

  it('keeps the stream plain: a client asking for compression still gets rewritten answers', async () => {
    const c = cluster();
    const conn = await mysql.createConnection({ ...mysqlConfig(c), compress: true });
    try {
      const [result] = await conn.query<mysql.RowDataPacket[]>(AURORA_MYSQL.instanceId);
      expect(Object.values(result[0] ?? {})).toEqual([writerOf().id]);
    } finally {
      conn.destroy();
    }
  });

  it('refuses writes on a reader with 1290 (read-only)', async () => {
    const reader = cluster()
      .instances()
      .find((i) => i.role === 'reader');
    if (!reader) throw new Error('no reader');
    await expect(rows(reader.host, "INSERT INTO repl_check VALUES ('x')")).rejects.toMatchObject({
      errno: 1290,
    });
  });

  it('fails over: new writer knows first, no acknowledged commit lost, old writer back as reader', async () => {
    const c = cluster();
    const old = writerOf();
    await rows(old.host, 'CREATE TABLE acked (id INT PRIMARY KEY)');
    const conn = await mysql.createConnection(mysqlConfig(c, old.host));
    conn.on('error', () => undefined);
    const acked: number[] = [];
    let stop = false;
    const load = (async () => {
      for (let id = 1; !stop; id++) {
        try {
          await conn.query('INSERT INTO acked VALUES (?)', [id]);
          acked.push(id);
        } catch {
          return;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const { newWriter } = await c.failover();
    stop = true;
    await load;
    conn.destroy();
    expect(newWriter).not.toBe(old.id);
    expect(acked.length).toBeGreaterThan(0);

    const newHost = c.instances().find((i) => i.id === newWriter)?.host as string;
    expect((await rows(newHost, AURORA_MYSQL.writerCheck)).map((r) => r.SERVER_ID)).toEqual([newWriter]);
    expect(await scalar(newHost, AURORA_MYSQL.isReader)).toBe(0);
    const present = new Set((await rows(newHost, 'SELECT id FROM acked')).map((r) => Number(r.id)));
    expect(acked.filter((id) => !present.has(id))).toEqual([]);

    await c.settled();
    expect(c.instances().find((i) => i.id === old.id)?.role).toBe('reader');
    for (const inst of c.instances()) {
      const view = await eventually(
        () => rows(inst.host, AURORA_MYSQL.topology),
        (r) => r.some((x) => Number(x.IS_WRITER) === 1 && x.SERVER_ID === newWriter),
      );
      expect(view.filter((r) => Number(r.IS_WRITER) === 1).map((r) => r.SERVER_ID)).toContain(newWriter);
      const count = await eventually(
        () => scalar(inst.host, 'SELECT COUNT(*) FROM acked'),
        (n) => Number(n) >= acked.length,
      );
      expect(Number(count)).toBeGreaterThanOrEqual(acked.length);
      expect(await scalar(inst.host, AURORA_MYSQL.isReader)).toBe(inst.id === newWriter ? 0 : 1);
    }
  });

  it('stop() leaves no mariadbd process and no temp dir', async () => {
    const c = cluster();
    const subnet = (c.instances()[0]?.address ?? '').replace(/\.\d+$/, '.');
    const before = mariadbdProcesses(subnet);
    expect(before.length).toBe(3);
    const dataDir = /--datadir=(\S+)/.exec(before[0] ?? '')?.[1] as string;
    const workDir = dirname(dirname(dataDir));
    expect(existsSync(workDir)).toBe(true);
    await c.stop();
    expect(mariadbdProcesses(subnet)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  });
});
