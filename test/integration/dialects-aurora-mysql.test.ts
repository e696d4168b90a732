/**
 * Dialect detection and Aurora MySQL SQL against an emulated Aurora MySQL cluster
 * (real MariaDB writer + replicas; Aurora metadata answered by the emulator's proxy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { clearDialectCache, detectDialect } from '../../src/dialects/detect-dialect.js';
import { dialectByName } from '../../src/dialects/dialects.js';
import { acceptTopology, topologyWeight } from '../../src/dialects/topology-rows.js';
import { hostKey } from '../../src/drivers/host-info.js';
import { useCluster } from '../support/cluster.js';
import { connectInstance, countingConnection, instanceByRole } from './dialects-support.js';

const cluster = useCluster({ engine: 'mysql', flavor: 'aurora', instances: 3 });
let writer: PhysicalConnection;
let reader: PhysicalConnection;

beforeAll(async () => {
  clearDialectCache();
  writer = await connectInstance(cluster(), instanceByRole(cluster(), 'writer'));
  reader = await connectInstance(cluster(), instanceByRole(cluster(), 'reader'));
});
afterAll(async () => {
  await Promise.all([writer?.close(), reader?.close()]);
});

describe('aurora-mysql dialect', () => {
  it('is detected on the writer and on a reader', async () => {
    expect((await detectDialect(writer, 'mysql')).name).toBe('aurora-mysql');
    expect((await detectDialect(reader, 'mysql')).name).toBe('aurora-mysql');
  });

  it('runs detection once per host', async () => {
    clearDialectCache(hostKey(reader.host));
    const first = countingConnection(reader);
    await detectDialect(first, 'mysql');
    expect(first.statements.length).toBeGreaterThan(0);
    const second = countingConnection(reader);
    expect((await detectDialect(second, 'mysql')).name).toBe('aurora-mysql');
    expect(second.statements).toEqual([]);
  });

  it('reports the topology on the writer and on a reader', async () => {
    const dialect = dialectByName('aurora-mysql');
    const truth = cluster().topology();
    const writerId = instanceByRole(cluster(), 'writer').id;
    for (const conn of [writer, reader]) {
      await expect
        .poll(async () => acceptTopology(await dialect.queryTopology(conn))?.length, { timeout: 5000 })
        .toBe(truth.length);
      const rows = acceptTopology(await dialect.queryTopology(conn))!;
      expect(rows[0]!.instanceId).toBe(writerId);
      expect(rows.filter((r) => r.isWriter)).toHaveLength(1);
      expect(rows.map((r) => r.instanceId).sort()).toEqual(truth.map((t) => t.id).sort());
      for (const r of rows) {
        expect(r.lastUpdate).toBeGreaterThan(Date.now() - 10 * 60_000);
        expect(Number.isInteger(topologyWeight(r))).toBe(true);
      }
    }
  });

  it('knows each instance id and role from the instance itself', async () => {
    const dialect = dialectByName('aurora-mysql');
    expect(await dialect.instanceId(writer)).toBe(instanceByRole(cluster(), 'writer').id);
    expect(await dialect.instanceId(reader)).toBe(instanceByRole(cluster(), 'reader').id);
    expect(await dialect.isWriter(writer)).toBe(true);
    expect(await dialect.isWriter(reader)).toBe(false);
    expect(await dialect.isReader(writer)).toBe(false);
    expect(await dialect.isReader(reader)).toBe(true);
  });

  it('tells MariaDB underneath from MySQL without failing', async () => {
    expect(await dialectByName('mariadb').matches(writer)).toBe(true);
    expect(await dialectByName('multi-az-mysql').matches(writer)).toBe(false);
    expect(await writer.queryRows('SELECT 1')).toEqual([[1]]);
  });

  // Last: it changes the cluster's roles.
  it('after a failover, the new writer reports itself and the topology it serves names it', async () => {
    const c = cluster();
    const oldWriterId = instanceByRole(c, 'writer').id;
    const { newWriter } = await c.failover();
    expect(newWriter).not.toBe(oldWriterId);
    const inst = c.instances().find((i) => i.id === newWriter)!;
    const conn = await connectInstance(c, inst);
    try {
      const dialect = await detectDialect(conn, 'mysql');
      expect(dialect.name).toBe('aurora-mysql');
      expect(await dialect.isWriter(conn)).toBe(true);
      expect(await dialect.isReader(conn)).toBe(false);
      expect(await dialect.instanceId(conn)).toBe(newWriter);
      await expect
        .poll(async () => acceptTopology(await dialect.queryTopology(conn))?.[0]?.instanceId, {
          timeout: 5000,
        })
        .toBe(newWriter);
    } finally {
      await conn.close();
    }
  });
});
