/**
 * The MariaDB backend in the RDS Multi-AZ DB cluster flavour: `mysql.rds_topology` is a real
 * replicated table, `SHOW REPLICA STATUS` names the writer's server id, `@@server_id` is
 * distinct per instance, `@@read_only` tells readers — each as the non-root test user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULTI_AZ_MYSQL } from '../../src/dialects/sql.js';
import type { BackendInstance, EngineBackend } from '../../src/emulator/engine.js';
import { createMysqlBackend } from '../../src/emulator/mysql/mysql-backend.js';

const credentials = { user: 'maz_user', password: 'maz-secret-2', database: 'mazdb' };
const workDir = mkdtempSync(join(tmpdir(), 'aurora-ha-mysql-maz-'));
const base = `127.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
const instances: BackendInstance[] = [1, 2, 3].map((n) => ({
  id: `instance-${n}`,
  address: `${base}.${n}`,
  port: 3306,
  dir: join(workDir, `instance-${n}`),
}));
const [i1, i2, i3] = instances as [BackendInstance, BackendInstance, BackendInstance];
let backend: EngineBackend;

async function query(inst: BackendInstance, sql: string): Promise<mysql.RowDataPacket[]> {
  const conn = await mysql.createConnection({ host: inst.address, port: inst.port, ...credentials });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(sql);
    return rows;
  } finally {
    await conn.end();
  }
}

const scalar = async (inst: BackendInstance, sql: string): Promise<unknown> =>
  Object.values((await query(inst, sql))[0] ?? {})[0];

describe('MariaDB backend, Multi-AZ flavour', () => {
  beforeAll(async () => {
    backend = createMysqlBackend({ flavor: 'multi-az', workDir, ...credentials });
    // all at once, as the control plane does: readers wait for the writer themselves
    await Promise.all([backend.startWriter(i1), backend.startReader(i2, i1), backend.startReader(i3, i1)]);
    await backend.writeTopology(
      i1,
      instances.map((m) => ({
        instanceId: m.id,
        isWriter: m === i1,
        endpoint: `${m.id}.abc.us-east-1.rds.amazonaws.com`,
        port: 3306,
        cpu: 0,
        lagMs: 0,
      })),
    );
  });

  afterAll(async () => {
    await backend.shutdown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('answers every MULTI_AZ_MYSQL query per instance, as the test user', async () => {
    const serverIds = await Promise.all(instances.map((m) => scalar(m, MULTI_AZ_MYSQL.instanceId)));
    expect(new Set(serverIds).size).toBe(3);
    const writerServerId = serverIds[0];

    for (const inst of instances) {
      expect(await query(inst, MULTI_AZ_MYSQL.detect)).toHaveLength(1);
      expect(await scalar(inst, MULTI_AZ_MYSQL.isReader)).toBe(inst === i1 ? 0 : 1);
      const status = await query(inst, MULTI_AZ_MYSQL.replicaStatus);
      if (inst === i1) {
        expect(status).toEqual([]);
      } else {
        expect(String(status[0]?.Master_Server_Id)).toBe(String(writerServerId));
      }
      let topology: mysql.RowDataPacket[] = [];
      for (let tries = 0; tries < 100 && topology.length < 3; tries++) {
        topology = await query(inst, MULTI_AZ_MYSQL.topology);
        if (topology.length < 3) await new Promise((r) => setTimeout(r, 50));
      }
      const byEndpoint = new Map(topology.map((r) => [String(r.endpoint), String(r.id)]));
      for (const [j, other] of instances.entries()) {
        expect(byEndpoint.get(`${other.id}.abc.us-east-1.rds.amazonaws.com`)).toBe(String(serverIds[j]));
      }
      expect(topology.every((r) => Number(r.port) === 3306)).toBe(true);
    }
  });

  it('refuses a write on a reader with 1290', async () => {
    await query(i1, 'CREATE TABLE t (id INT PRIMARY KEY)');
    await expect(query(i2, 'CREATE TABLE u (id INT PRIMARY KEY)')).rejects.toMatchObject({ errno: 1290 });
  });
});
