/**
 * Dialect detection and RDS Multi-AZ DB cluster SQL against an emulated Multi-AZ
 * PostgreSQL cluster (rds_tools functions on real replicated instances).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { clearDialectCache, detectDialect } from '../../src/dialects/detect-dialect.js';
import { dialectByName } from '../../src/dialects/dialects.js';
import { acceptTopology } from '../../src/dialects/topology-rows.js';
import { useCluster } from '../support/cluster.js';
import { connectInstance, instanceByRole } from './dialects-support.js';

const cluster = useCluster({ engine: 'postgres', flavor: 'multi-az', instances: 3 });
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

describe('multi-az-postgres dialect', () => {
  it('is detected on the writer and on a reader (and Aurora is not)', async () => {
    expect(await dialectByName('aurora-postgres').matches(writer)).toBe(false);
    expect((await detectDialect(writer, 'postgres')).name).toBe('multi-az-postgres');
    expect((await detectDialect(reader, 'postgres')).name).toBe('multi-az-postgres');
  });

  it('reports every instance with its endpoint and port, and the writer by resource id', async () => {
    const dialect = dialectByName('multi-az-postgres');
    const truth = cluster().topology();
    for (const conn of [writer, reader]) {
      const rows = acceptTopology(await dialect.queryTopology(conn));
      expect(rows).toBeDefined();
      expect(rows).toHaveLength(truth.length);
      const writerRow = rows![0]!;
      expect(writerRow.isWriter).toBe(true);
      const writerTruth = instanceByRole(cluster(), 'writer');
      expect(writerRow.endpoint).toBe(writerTruth.host);
      expect(writerRow.port).toBe(writerTruth.port);
      expect(rows!.map((r) => r.endpoint).sort()).toEqual(truth.map((t) => t.host).sort());
    }
  });

  it('knows the instance id and role from the instance itself', async () => {
    const dialect = dialectByName('multi-az-postgres');
    const writerId = await dialect.instanceId(writer);
    const readerId = await dialect.instanceId(reader);
    expect(writerId).toBeTruthy();
    expect(readerId).toBeTruthy();
    expect(readerId).not.toBe(writerId);
    const rows = await dialect.queryTopology(writer);
    expect(rows.find((r) => r.isWriter)?.instanceId).toBe(writerId);
    expect(rows.map((r) => r.instanceId)).toContain(readerId);
    expect(await dialect.isWriter(writer)).toBe(true);
    expect(await dialect.isWriter(reader)).toBe(false);
    expect(await dialect.isReader(reader)).toBe(true);
  });
});
