/**
 * The PostgreSQL emulator in the RDS Multi-AZ DB cluster flavour: rds_tools functions answer
 * per instance (endpoint host names and port) on writer and readers, as the test user, and
 * follow a switchover; the Aurora functions are absent.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AURORA_PG, MULTI_AZ_PG } from '../../src/dialects/sql.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'postgres', flavor: 'multi-az', instances: 3 });

async function rows<T>(host: string, sql: string): Promise<T[]> {
  const client = new pg.Client(pgConfig(cluster(), host));
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

describe('PostgreSQL emulator, Multi-AZ flavour', () => {
  it('answers the rds_tools queries per instance on writer and readers', async () => {
    const c = cluster();
    const writer = c.instances().find((i) => i.role === 'writer');
    const expected = c
      .instances()
      .map((i) => ({ id: i.id, endpoint: i.host, port: i.port }))
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const inst of c.instances()) {
      expect(await rows(inst.host, MULTI_AZ_PG.detect)).toEqual([{ '?column?': 1 }]);
      const topology = await eventually(
        () => rows<{ id: string }>(inst.host, MULTI_AZ_PG.topology),
        (r) => r.length === expected.length,
      );
      expect(topology).toEqual(expected);
      expect(await rows(inst.host, MULTI_AZ_PG.writerId)).toEqual([
        { multi_az_db_cluster_source_dbi_resource_id: writer?.id },
      ]);
      expect(await rows(inst.host, MULTI_AZ_PG.instanceId)).toEqual([{ dbi_resource_id: inst.id }]);
      expect(await rows(inst.host, MULTI_AZ_PG.isReader)).toEqual([
        { pg_is_in_recovery: inst.role === 'reader' },
      ]);
      // Not Aurora: the Aurora detection finds no rds.extensions row.
      expect(await rows(inst.host, AURORA_PG.detect)).toEqual([]);
    }
  });

  it('switchover moves the writer without losing a committed row; readers follow', async () => {
    const c = cluster();
    const old = c.instances().find((i) => i.role === 'writer');
    await rows(c.writerEndpoint.host, 'CREATE TABLE IF NOT EXISTS sw (v int); INSERT INTO sw VALUES (42)');
    const { newWriter } = await c.switchover();
    expect(newWriter).not.toBe(old?.id);
    const host = c.instances().find((i) => i.id === newWriter)?.host as string;
    expect(await rows(host, MULTI_AZ_PG.writerId)).toEqual([
      { multi_az_db_cluster_source_dbi_resource_id: newWriter },
    ]);
    expect(await rows(host, 'SELECT v FROM sw')).toEqual([{ v: 42 }]);
    await c.settled();
    for (const inst of c.instances()) {
      expect(inst.role).toBe(inst.id === newWriter ? 'writer' : 'reader');
      const writerId = await eventually(
        () => rows<{ multi_az_db_cluster_source_dbi_resource_id: string }>(inst.host, MULTI_AZ_PG.writerId),
        (r) => r[0]?.multi_az_db_cluster_source_dbi_resource_id === newWriter,
      );
      expect(writerId).toEqual([{ multi_az_db_cluster_source_dbi_resource_id: newWriter }]);
    }
  });
});
