/**
 * Dialect detection and RDS Multi-AZ DB cluster SQL against an emulated Multi-AZ MySQL
 * cluster (mysql.rds_topology on real MariaDB replication; the writer from SHOW REPLICA STATUS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { clearDialectCache, detectDialect } from '../../src/dialects/detect-dialect.js';
import { dialectByName } from '../../src/dialects/dialects.js';
import { acceptTopology } from '../../src/dialects/topology-rows.js';
import { useCluster } from '../support/cluster.js';
import { connectInstance, instanceByRole } from './dialects-support.js';

const cluster = useCluster({ engine: 'mysql', flavor: 'multi-az', instances: 3 });
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

describe('multi-az-mysql dialect', () => {
  it('is detected on the writer and on a reader (and Aurora is not)', async () => {
    expect(await dialectByName('aurora-mysql').matches(writer)).toBe(false);
    expect((await detectDialect(writer, 'mysql')).name).toBe('multi-az-mysql');
    expect((await detectDialect(reader, 'mysql')).name).toBe('multi-az-mysql');
  });

  it('reports every instance with endpoint and port, the writer found from either side', async () => {
    const dialect = dialectByName('multi-az-mysql');
    const truth = cluster().topology();
    const writerTruth = instanceByRole(cluster(), 'writer');
    for (const conn of [writer, reader]) {
      const rows = acceptTopology(await dialect.queryTopology(conn));
      expect(rows).toBeDefined();
      expect(rows).toHaveLength(truth.length);
      expect(rows![0]!.endpoint).toBe(writerTruth.host);
      expect(rows![0]!.port).toBe(writerTruth.port);
      expect(rows!.map((r) => r.endpoint).sort()).toEqual(truth.map((t) => t.host).sort());
    }
  });

  it('knows the instance id and role from the instance itself', async () => {
    const dialect = dialectByName('multi-az-mysql');
    const writerId = await dialect.instanceId(writer);
    const readerId = await dialect.instanceId(reader);
    expect(writerId).toBeTruthy();
    expect(readerId).not.toBe(writerId);
    const rows = await dialect.queryTopology(reader);
    expect(rows.find((r) => r.isWriter)?.instanceId).toBe(writerId);
    expect(await dialect.isWriter(writer)).toBe(true);
    expect(await dialect.isWriter(reader)).toBe(false);
    expect(await dialect.isReader(reader)).toBe(true);
    expect(await dialect.isReader(writer)).toBe(false);
  });
});
