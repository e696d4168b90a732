/**
 * getClusterStatus (src/topology/cluster-status.ts) without a cluster: the target forms find the
 * shared topology the way connections name it, and a cluster the process does not know is
 * `known: false`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getClusterStatus } from '../../src/topology/cluster-status.js';
import { acquireTopology, releaseTopology, type ClusterTopology } from '../../src/topology/topology-cache.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { moveOpenCount } from '../../src/observe/open-connections.js';

const held: ClusterTopology[] = [];
afterEach(() => {
  for (const t of held.splice(0)) releaseTopology(t);
  moveOpenCount('w.abc123.us-east-1.rds.amazonaws.com:5432', undefined);
});

function seed(id: string): ClusterTopology {
  const t = acquireTopology(id);
  held.push(t);
  t.update([
    makeHost('w.abc123.us-east-1.rds.amazonaws.com', 5432, { role: 'writer', instanceId: 'w', lagMs: 0 }),
    makeHost('r.abc123.us-east-1.rds.amazonaws.com', 5432, { role: 'reader', instanceId: 'r', lagMs: 12 }),
  ]);
  return t;
}

describe('getClusterStatus', () => {
  it('finds an RDS cluster from its endpoint, with or without port, as a URL or a config', () => {
    const t = seed('?.abc123.us-east-1.rds.amazonaws.com#5432');
    moveOpenCount(undefined, 'w.abc123.us-east-1.rds.amazonaws.com:5432');
    const host = 'mydb.cluster-abc123.us-east-1.rds.amazonaws.com';
    for (const target of [
      host,
      `${host}:5432`,
      `postgres://app:secret@${host}:5432/db`,
      { host, port: 5432 },
      { connectionString: `postgres://app:secret@${host}/db` },
    ]) {
      const s = getClusterStatus(target);
      expect(s.known, JSON.stringify(target)).toBe(true);
      expect(s.clusterId).toBe(t.clusterId);
      expect(s.writer).toMatchObject({
        host: 'w.abc123.us-east-1.rds.amazonaws.com:5432',
        openConnections: 1,
      });
      expect(s.readers).toEqual([
        expect.objectContaining({ instanceId: 'r', lagMs: 12, availability: 'available' }),
      ]);
      expect(s.lastRefreshAt).toBeGreaterThan(0);
      expect(s.openConnections).toBe(1);
    }
  });

  it('finds a cluster by clusterId, and knows nothing of another', () => {
    seed('my-cluster');
    expect(getClusterStatus({ host: 'anything', clusterId: 'my-cluster' }).writer?.instanceId).toBe('w');
    const none = getClusterStatus('other.example.com:5432');
    expect(none).toMatchObject({ known: false, writer: undefined, readers: [], monitor: undefined });
  });
});
