/**
 * The MariaDB emulator in the RDS Multi-AZ DB cluster flavour, through `startCluster` and plain
 * `mysql2` on the emulator's names: `mysql.rds_topology` is a real replicated table (id =
 * server id, endpoint = instance host name), `SHOW REPLICA STATUS` names the writer's server
 * id on readers and is empty on the writer, `@@server_id` is distinct per instance and
 * `@@read_only` tells readers — each as the non-root test user, before and after failover.
 */
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { MULTI_AZ_MYSQL } from '../../src/dialects/sql.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', flavor: 'multi-az', instances: 3 });

async function rows(host: string, sql: string): Promise<mysql.RowDataPacket[]> {
  const conn = await mysql.createConnection(mysqlConfig(cluster(), host));
  try {
    const [result] = await conn.query<mysql.RowDataPacket[]>(sql);
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

/** Every MULTI_AZ_MYSQL query on every instance agrees with the control plane's truth. */
async function expectTruthfulAnswers(): Promise<void> {
  const c = cluster();
  const live = c.instances().filter((i) => i.role !== 'down');
  const serverIds = new Map<string, string>();
  for (const inst of live) serverIds.set(inst.id, String(await scalar(inst.host, MULTI_AZ_MYSQL.instanceId)));
  expect(new Set(serverIds.values()).size).toBe(live.length);
  const writer = live.find((i) => i.role === 'writer');
  if (!writer) throw new Error('no writer');

  for (const inst of live) {
    expect(await rows(inst.host, MULTI_AZ_MYSQL.detect)).toHaveLength(1);
    expect(await scalar(inst.host, MULTI_AZ_MYSQL.isReader)).toBe(inst === writer ? 0 : 1);
    const status = await eventually(
      () => rows(inst.host, MULTI_AZ_MYSQL.replicaStatus),
      (s) => inst === writer || String(s[0]?.Master_Server_Id) === serverIds.get(writer.id),
    );
    if (inst === writer) expect(status).toEqual([]);
    else expect(String(status[0]?.Master_Server_Id)).toBe(serverIds.get(writer.id));

    const topology = await eventually(
      () => rows(inst.host, MULTI_AZ_MYSQL.topology),
      (t) =>
        t.length === live.length &&
        t.every((r) => live.some((i) => i.host === r.endpoint && serverIds.get(i.id) === String(r.id))),
    );
    expect(topology.map((r) => [String(r.endpoint), String(r.id), Number(r.port)]).sort()).toEqual(
      live.map((i) => [i.host, serverIds.get(i.id), c.writerEndpoint.port]).sort(),
    );
  }
}

describe('MariaDB emulator, Multi-AZ flavour', () => {
  it('answers every MULTI_AZ_MYSQL query per instance, as the test user', async () => {
    await expectTruthfulAnswers();
  });

  it('refuses a write on a reader with 1290', async () => {
    const c = cluster();
    await rows(c.writerEndpoint.host, 'CREATE TABLE t (id INT PRIMARY KEY)');
    const reader = c.instances().find((i) => i.role === 'reader');
    if (!reader) throw new Error('no reader');
    await expect(rows(reader.host, 'CREATE TABLE u (id INT PRIMARY KEY)')).rejects.toMatchObject({
      errno: 1290,
    });
  });

  it('tells the truth again after a failover (replicas follow the new writer)', async () => {
    const c = cluster();
    const { newWriter } = await c.failover();
    await c.settled();
    expect(c.instances().find((i) => i.role === 'writer')?.id).toBe(newWriter);
    await expectTruthfulAnswers();
  });
});
