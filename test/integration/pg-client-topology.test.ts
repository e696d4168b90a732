/**
 * Host list providers on real clusters (the emulator): the dialect chosen after connect picks
 * the provider; topology rows become hosts through the instance host pattern (Aurora) or carry
 * their endpoints (RDS Multi-AZ); the topology is shared by the connections of one cluster,
 * reference-counted, with shared availability marks; an IP address without
 * `clusterInstanceHostPattern` fails fast.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { LogicalConnection } from '../../src/connection/logical-connection.js';
import type { Plugin, PluginFactory } from '../../src/connection/plugin.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import type { HostInfo } from '../../src/drivers/host-info.js';
import { StaticHostListProvider } from '../../src/topology/static-host-list-provider.js';
import { liveClusterCount } from '../../src/topology/topology-cache.js';
import { postgresReplicaClusterDialect } from '../../src/dialects/postgres-replica-cluster.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const aurora = useCluster({ engine: 'postgres', instances: 2 });
const multiAz = useCluster({ engine: 'postgres', instances: 2, flavor: 'multi-az' });

/** A plugin that only listens, so the connection detects its dialect without failover acting. */
function listening(changes: (readonly HostInfo[])[]): PluginFactory {
  return {
    code: 'listening',
    aliases: [],
    weight: 1,
    create: (): Plugin => ({
      code: 'listening',
      subscribes: [],
      notifyHostListChanged: (hosts) => changes.push(hosts),
    }),
  };
}

const open: LogicalConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end()));
});

async function connect(
  config: Record<string, unknown>,
  changes: (readonly HostInfo[])[] = [],
): Promise<LogicalConnection> {
  const lc = new LogicalConnection(resolveConfig('postgres', config), pgAdapter, [listening(changes)]);
  open.push(lc);
  await lc.open();
  return lc;
}

function truth(cluster: EmulatedCluster): { host: string; role: string }[] {
  return cluster
    .instances()
    .map((i) => ({ host: i.host, role: i.role }))
    .sort((a, b) => a.host.localeCompare(b.host));
}

function seen(hosts: readonly HostInfo[]): { host: string; role: string }[] {
  return hosts.map((h) => ({ host: h.host, role: h.role })).sort((a, b) => a.host.localeCompare(b.host));
}

describe('topology host list provider (Aurora PostgreSQL)', () => {
  it('builds hosts from the topology through the derived instance pattern', async () => {
    const lc = await connect(pgConfig(aurora()));
    expect(lc.service.dialect?.name).toBe('aurora-postgres');
    await lc.service.refreshHostList();
    const hosts = lc.service.hosts();
    expect(seen(hosts)).toEqual(truth(aurora()));
    expect(hosts.every((h) => h.port === aurora().writerEndpoint.port && h.instanceId !== undefined)).toBe(
      true,
    );
    const current = lc.current;
    if (current === undefined) throw new Error('not connected');
    expect(await lc.service.hostRole(current)).toBe('writer');
    const me = await lc.service.identifyConnection(current);
    expect(me?.role).toBe('writer');
  });

  it('shares one reference-counted topology between the connections of a cluster', async () => {
    const before = liveClusterCount();
    const changesB: (readonly HostInfo[])[] = [];
    const a = await connect(pgConfig(aurora()));
    const b = await connect(pgConfig(aurora(), aurora().readerEndpoint.host), changesB);
    expect(liveClusterCount()).toBe(before + 1);
    expect(b.service.hostListProvider.clusterId).toBe(a.service.hostListProvider.clusterId);
    await a.service.refreshHostList();
    // b sees a's refresh without a query of its own, and is told about the change.
    expect(seen(b.service.hosts())).toEqual(truth(aurora()));
    expect(changesB.length).toBeGreaterThan(0);
    // Within the TTL a refresh returns the cached list; forceRefresh queries again.
    const cached = b.service.hosts();
    await b.service.refreshHostList();
    expect(b.service.hosts()).toBe(cached);
    // Availability marks are shared.
    const reader = a.service.hosts().find((h) => h.role === 'reader');
    if (reader === undefined) throw new Error('no reader');
    a.service.setAvailability([reader.instanceId ?? ''], 'unavailable');
    expect(b.service.hosts().find((h) => h.host === reader.host)?.availability).toBe('unavailable');
    a.service.setAvailability([reader.instanceId ?? ''], 'available');
    expect(b.service.hosts().find((h) => h.host === reader.host)?.availability).toBe('available');
    // The connection opened through the reader endpoint identifies itself as a reader.
    const bConn = b.current;
    if (bConn === undefined) throw new Error('not connected');
    expect((await b.service.identifyConnection(bConn))?.role).toBe('reader');
    await a.end();
    expect(liveClusterCount()).toBe(before + 1);
    await b.end();
    expect(liveClusterCount()).toBe(before);
  });

  it('an IP address without clusterInstanceHostPattern connects with a static host list (failover reports the missing pattern itself), and the topology works with it', async () => {
    const writer = aurora()
      .instances()
      .find((i) => i.role === 'writer');
    if (writer === undefined) throw new Error('no writer');
    const byIp = { ...pgConfig(aurora()), host: writer.address, port: writer.port };
    // Issue 9 item 5: without failover, such a connection must open (it used to fail here).
    const lc = new LogicalConnection(resolveConfig('postgres', byIp), pgAdapter, [listening([])]);
    await lc.open();
    expect(lc.service.dialect?.name).toBe('aurora-postgres');
    expect(lc.service.hosts().map((h) => h.host)).toEqual([writer.address]);
    await lc.end();
    const withPattern = await connect({ ...byIp, clusterInstanceHostPattern: aurora().instanceHostPattern });
    await withPattern.service.refreshHostList();
    expect(seen(withPattern.service.hosts())).toEqual(truth(aurora()));
  });
});

describe('topology host list provider (RDS Multi-AZ PostgreSQL)', () => {
  it('takes each host from the endpoint and port of its topology row', async () => {
    const lc = await connect(pgConfig(multiAz()));
    expect(lc.service.dialect?.name).toBe('multi-az-postgres');
    const hosts = await lc.service.forceRefreshHostList();
    expect(seen(hosts)).toEqual(truth(multiAz()));
    expect(hosts.filter((h) => h.role === 'writer')).toHaveLength(1);
  });
});

describe('static host list', () => {
  it('uses the configured host when nobody needs a topology (plugins: [])', async () => {
    const lc = new LogicalConnection(
      resolveConfig('postgres', { ...pgConfig(aurora()), plugins: [] }),
      pgAdapter,
      [],
    );
    open.push(lc);
    await lc.open();
    expect(lc.service.dialect).toBeUndefined();
    expect(lc.service.hosts().map((h) => h.host)).toEqual([aurora().writerEndpoint.host]);
  });
});

describe('replica cluster host list (configured hosts, roles probed)', () => {
  it('finds the primary and the standby among the configured hosts, and caches for the TTL', async () => {
    const config = pgConfig(aurora());
    const instances = aurora().instances();
    let probes = 0;
    const provider = new StaticHostListProvider({
      clusterId: 'replica-cluster-test',
      hosts: instances.map((i) => ({ host: i.address, port: i.port })),
      refreshMs: 60_000,
      current: () => undefined,
      roleOf: async (conn) => ((await postgresReplicaClusterDialect.isReader(conn)) ? 'reader' : 'writer'),
      probeRole: async (host) => {
        probes++;
        const conn = await pgAdapter.connect(makeHost(host.host, host.port), config, {
          timeoutMs: 5000,
        });
        try {
          return (await postgresReplicaClusterDialect.isReader(conn)) ? 'reader' : 'writer';
        } finally {
          await conn.close();
        }
      },
    });
    try {
      const hosts = await provider.refresh();
      const expected = instances
        .map((i) => ({ host: i.address, role: i.role }))
        .sort((a, b) => a.host.localeCompare(b.host));
      expect(seen(hosts)).toEqual(expected);
      expect(probes).toBe(instances.length);
      await provider.refresh();
      expect(probes).toBe(instances.length);
    } finally {
      provider.release();
    }
  });
});
