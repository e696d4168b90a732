/**
 * Dialect detection and Aurora PostgreSQL SQL against an emulated Aurora PostgreSQL cluster
 * (real primary + hot standbys; metadata served by the emulator).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { clearDialectCache, detectDialect } from '../../src/dialects/detect-dialect.js';
import { dialectByName } from '../../src/dialects/dialects.js';
import { acceptTopology, topologyWeight } from '../../src/dialects/topology-rows.js';
import { hostKey } from '../../src/drivers/host-info.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { useCluster } from '../support/cluster.js';
import { connectInstance, countingConnection, instanceByRole } from './dialects-support.js';

const cluster = useCluster({ engine: 'postgres', flavor: 'aurora', instances: 3 });
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

describe('aurora-postgres dialect', () => {
  it('is detected on the writer and on a reader', async () => {
    expect((await detectDialect(writer, 'postgres')).name).toBe('aurora-postgres');
    expect((await detectDialect(reader, 'postgres')).name).toBe('aurora-postgres');
  });

  it('runs detection once per host, not per connection', async () => {
    const key = hostKey(writer.host);
    clearDialectCache(key);
    const first = countingConnection(writer);
    await detectDialect(first, 'postgres');
    expect(first.statements.length).toBeGreaterThan(0);
    const other = await connectInstance(cluster(), instanceByRole(cluster(), 'writer'));
    try {
      const second = countingConnection(other);
      expect((await detectDialect(second, 'postgres')).name).toBe('aurora-postgres');
      expect(second.statements).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('reports the topology on the writer: every instance, one writer, the right one', async () => {
    const dialect = dialectByName('aurora-postgres');
    const truth = cluster().topology();
    const rows = acceptTopology(await dialect.queryTopology(writer));
    expect(rows).toBeDefined();
    expect(rows!.map((r) => r.instanceId).sort()).toEqual(truth.map((t) => t.id).sort());
    expect(rows![0]!.instanceId).toBe(instanceByRole(cluster(), 'writer').id);
    expect(rows!.filter((r) => r.isWriter)).toHaveLength(1);
    for (const r of rows!) {
      expect(r.lastUpdate).toBeGreaterThan(Date.now() - 10 * 60_000);
      expect(Number.isInteger(topologyWeight(r))).toBe(true);
    }
  });

  it('reports the same topology on a reader (replicated metadata)', async () => {
    const dialect = dialectByName('aurora-postgres');
    const writerId = instanceByRole(cluster(), 'writer').id;
    await expect
      .poll(async () => acceptTopology(await dialect.queryTopology(reader))?.[0]?.instanceId, {
        timeout: 5000,
      })
      .toBe(writerId);
    const rows = acceptTopology(await dialect.queryTopology(reader))!;
    expect(rows.map((r) => r.instanceId).sort()).toEqual(
      cluster()
        .topology()
        .map((t) => t.id)
        .sort(),
    );
  });

  it('knows each instance id and role from the instance itself', async () => {
    const dialect = dialectByName('aurora-postgres');
    expect(await dialect.instanceId(writer)).toBe(instanceByRole(cluster(), 'writer').id);
    expect(await dialect.instanceId(reader)).toBe(instanceByRole(cluster(), 'reader').id);
    expect(await dialect.isWriter(writer)).toBe(true);
    expect(await dialect.isWriter(reader)).toBe(false);
    expect(await dialect.isReader(writer)).toBe(false);
    expect(await dialect.isReader(reader)).toBe(true);
  });

  it('answers "no" for other flavours without failing the connection', async () => {
    expect(await dialectByName('multi-az-postgres').matches(writer)).toBe(false);
    expect(await dialectByName('postgres').matches(writer)).toBe(true);
    expect(writer.inTransaction()).toBe(false);
    expect(await writer.queryRows('SELECT 1')).toEqual([[1]]);
  });

  it('sees a real streaming-replication cluster through postgres-replica-cluster', async () => {
    const dialect = dialectByName('postgres-replica-cluster');
    expect(dialect.topologyAware).toBe(false);
    expect(await dialect.matches(writer)).toBe(true);
    expect(await dialect.matches(reader)).toBe(true);
    expect(await dialect.isWriter(writer)).toBe(true);
    expect(await dialect.isWriter(reader)).toBe(false);
  });

  it('rejects with a network error (and caches nothing) when the connection is lost', async () => {
    const conn = await connectInstance(cluster(), instanceByRole(cluster(), 'reader'));
    await conn.close();
    clearDialectCache(hostKey(conn.host));
    const err = await detectDialect(conn, 'postgres').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pgAdapter.classify(err)).toBe('network');
    const fresh = countingConnection(await connectInstance(cluster(), instanceByRole(cluster(), 'reader')));
    try {
      expect((await detectDialect(fresh, 'postgres')).name).toBe('aurora-postgres');
      expect(fresh.statements.length).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });

  it('bounds each detection query: a silent instance fails detection within the timeout', async () => {
    const c = cluster();
    const inst = instanceByRole(c, 'reader');
    const conn = await connectInstance(c, inst);
    clearDialectCache(hostKey(conn.host));
    c.partition(inst.id, { mode: 'blackhole' });
    try {
      const started = Date.now();
      const err = await detectDialect(conn, 'postgres', { timeoutMs: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(pgAdapter.classify(err)).toBe('network');
    } finally {
      c.heal(inst.id);
      conn.abort();
    }
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
      const dialect = await detectDialect(conn, 'postgres');
      expect(dialect.name).toBe('aurora-postgres');
      expect(await dialect.isWriter(conn)).toBe(true);
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
