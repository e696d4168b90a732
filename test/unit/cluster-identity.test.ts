/**
 * Failover v2's cluster identity (one topology monitor per cluster) and plugin registration.
 */
import { describe, expect, it } from 'vitest';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { clusterIdentity } from '../../src/topology/cluster-identity.js';
import { backoffMs } from '../../src/core/time.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';

const id = (host: string, extra: { clusterId?: string; pattern?: string; port?: number } = {}): string =>
  clusterIdentity({
    clusterId: extra.clusterId,
    host,
    port: extra.port ?? 5432,
    pattern: extra.pattern,
  });

describe('cluster identity of the topology monitor', () => {
  it('the writer and reader endpoints of one cluster are one cluster, in any letter case', () => {
    expect(id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com')).toBe(
      id('MyDB.cluster-ro-abc123.us-east-1.rds.amazonaws.com'),
    );
  });

  it('instance names share the identity of their cluster endpoints (whichever connects first)', () => {
    expect(id('instance-1.abc123.us-east-1.rds.amazonaws.com')).toBe(
      id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com'),
    );
  });

  it('clusters with another cluster id or region are other clusters', () => {
    const base = id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com');
    expect(id('mydb.cluster-def456.us-east-1.rds.amazonaws.com')).not.toBe(base);
    expect(id('mydb.cluster-abc123.eu-west-1.rds.amazonaws.com')).not.toBe(base);
  });

  it('the port is part of the identity', () => {
    expect(id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com', { port: 5432 })).not.toBe(
      id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com', { port: 5433 }),
    );
  });

  it('the clusterId option wins over the host name', () => {
    expect(id('10.0.0.1', { clusterId: 'orders' })).toBe(
      id('mydb.cluster-abc123.us-east-1.rds.amazonaws.com', { clusterId: 'orders' }),
    );
  });

  it('IP addresses and custom names with one instance pattern are one cluster', () => {
    const pattern = '?.db.example.com';
    expect(id('10.0.0.1', { pattern })).toBe(id('writer.db.example.com', { pattern }));
    expect(id('10.0.0.1')).not.toBe(id('10.0.0.2'));
  });
});

describe('retry pauses', () => {
  it('grow from the base to the bound, with jitter between 50 % and 100 %', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(attempt, 100, 1000);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(ms).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});

describe('plugin registry', () => {
  it('failover2 and its seed alias failover_v2 are available', () => {
    expect(resolvePluginFactories(['failover2'])).toEqual([failover2PluginFactory]);
    expect(resolvePluginFactories(['failover_v2'])).toEqual([failover2PluginFactory]);
  });
});
