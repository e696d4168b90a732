/**
 * Issue 21 item 1: the messages name instances, not the name a connection was given. The
 * failover2 monitor probing the cluster endpoint (no topology read yet) reports the instance
 * that answered as the verified writer (the endpoint only when the instance cannot be told);
 * a host-monitoring abort names the instance its connections were opened to, not the address
 * the monitor watches. (The failover base's oldHost: test/integration/observability-coverage-*.)
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { auroraPostgresDialect } from '../../src/dialects/aurora-postgres.js';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { hostKey, makeHost, type HostInfo } from '../../src/drivers/host-info.js';
import { MONITOR_CHANNEL, type MonitorMessage } from '../../src/observe/channels.js';
import { HostMonitor, type Prober } from '../../src/plugins/host-monitoring/host-monitor.js';
import { parseHostPattern } from '../../src/topology/host-pattern.js';
import { hostsFromTopology } from '../../src/topology/topology-host-list-provider.js';
import { TopologyMonitor } from '../../src/topology/topology-monitor.js';
import { MemoryCluster, MemoryDriver } from '../support/memory-driver/index.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function monitorMessages(): MonitorMessage[] {
  const out: MonitorMessage[] = [];
  const on = (m: unknown): void => void out.push(m as MonitorMessage);
  subscribe(MONITOR_CHANNEL, on);
  cleanups.push(() => unsubscribe(MONITOR_CHANNEL, on));
  return out;
}

/** A monitor wired as monitor-link.ts wires it, asked for a writer before it read any topology. */
function endpointMonitor(cluster: MemoryCluster, readable: boolean): TopologyMonitor {
  const pattern = parseHostPattern(`?.${cluster.dnsId}.${cluster.domain}`);
  const monitor = new TopologyMonitor({
    key: `memory:${cluster.dnsId}`,
    driver: new MemoryDriver(cluster),
    driverConfig: {},
    dialect: auroraPostgresDialect,
    readTopology: async (conn) =>
      readable
        ? hostsFromTopology(await auroraPostgresDialect.queryTopology(conn), pattern, cluster.port)
        : undefined,
    initialHosts: [makeHost(cluster.endpoint, cluster.port)],
    refreshMs: 60_000,
    highRefreshMs: 60_000,
    failoverTimeoutMs: 2_000,
    connectTimeoutMs: 500,
  });
  cleanups.push(() => monitor.close());
  return monitor;
}

describe('the failover2 monitor names the instance that verified itself', () => {
  it('a search that probed the cluster endpoint reports the instance behind it', async () => {
    const cluster = new MemoryCluster();
    const seen = monitorMessages();
    const monitor = endpointMonitor(cluster, true);
    // No topology yet: the search probes the hosts the monitor started from (the endpoint).
    expect(monitor.hosts()).toHaveLength(0);
    const writer = await monitor.awaitVerifiedWriter(new AbortController().signal);
    const instance = `instance-1.${cluster.dnsId}.${cluster.domain}:${cluster.port}`;
    expect(hostKey(writer)).toBe(instance);
    expect(writer.instanceId).toBe('instance-1');
    expect(seen.filter((m) => m.event === 'writer-verified')).toEqual([
      expect.objectContaining({ writer: instance }),
    ]);
  });

  it('normal mode through the endpoint: the writer is the instance at once, no second connection to reach it by name', async () => {
    const cluster = new MemoryCluster();
    const monitor = endpointMonitor(cluster, true);
    for (let i = 0; i < 200 && !(monitor.connected && monitor.hosts().length > 0); i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(monitor.connected).toBe(true);
    expect(hostKey(monitor.writer()!)).toBe(`instance-1.${cluster.dnsId}.${cluster.domain}:${cluster.port}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(monitor.connectAttempts).toBe(1);
    expect(monitor.searches).toBe(0);
  });

  it('the endpoint only when the instance cannot be told (here: its topology names nobody)', async () => {
    const cluster = new MemoryCluster();
    const seen = monitorMessages();
    const monitor = endpointMonitor(cluster, false);
    const writer = await monitor.awaitVerifiedWriter(new AbortController().signal);
    expect(hostKey(writer)).toBe(`${cluster.endpoint}:${cluster.port}`);
    expect(seen.find((m) => m.event === 'writer-verified')).toMatchObject({
      writer: `${cluster.endpoint}:${cluster.port}`,
    });
  });
});

describe('host-monitoring-abort names the host', () => {
  /** A host that never answers, probing an address. */
  const silent = (host?: HostInfo): Prober => ({
    probe: async () => false,
    close: async () => undefined,
    connected: false,
    ...(host !== undefined ? { host } : {}),
  });

  function busyOn(host: HostInfo): PhysicalConnection {
    const command = {};
    let closed = false;
    const conn: PhysicalConnection = {
      host,
      native: undefined,
      get closed() {
        return closed;
      },
      queryRows: () => Promise.resolve([]),
      inTransaction: () => false,
      activeCall: () => (closed ? undefined : command),
      abort() {
        closed = true;
      },
      close: () => Promise.resolve(),
      onError: () => undefined,
    };
    return conn;
  }

  async function abortOf(prober: Prober, hosts: readonly HostInfo[]): Promise<MonitorMessage | undefined> {
    const seen = monitorMessages();
    const m = new HostMonitor('10.0.0.7:5432', { graceMs: 20, intervalMs: 10, count: 1 }, prober);
    cleanups.push(() => void m.stop());
    for (const h of hosts) m.watch(busyOn(h), { hostDeclaredUnavailable: () => undefined });
    for (let i = 0; i < 200 && !seen.some((x) => x.event === 'host-monitoring-abort'); i++)
      await new Promise((r) => setTimeout(r, 10));
    return seen.find((x) => x.event === 'host-monitoring-abort');
  }

  const instance = makeHost('instance-2.abc.us-east-1.rds.amazonaws.com', 5432);
  const endpoint = makeHost('mydb.cluster-abc.us-east-1.rds.amazonaws.com', 5432);
  const address = makeHost('10.0.0.7', 5432);

  it('the instance name a connection on the address was opened with, over an endpoint and the address', async () => {
    expect(await abortOf(silent(address), [endpoint, instance])).toMatchObject({
      host: hostKey(instance),
      callsAborted: 2,
    });
  });

  it('the probed address when the connections only name a cluster endpoint', async () => {
    expect(await abortOf(silent(address), [endpoint])).toMatchObject({ host: '10.0.0.7:5432' });
  });

  it("the monitor's key when the prober names no address", async () => {
    expect(await abortOf(silent(), [endpoint])).toMatchObject({ host: '10.0.0.7:5432' });
  });
});
