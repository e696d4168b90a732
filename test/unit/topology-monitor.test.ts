/**
 * Failover v2's topology monitor (src/topology/topology-monitor.ts, with its WriterSearch) over
 * the in-memory driver: normal mode (its own connection to the writer, the topology published,
 * a switchover followed), panic mode (every host probed, the instance itself confirms it is the
 * writer, every waiter woken by one promise), a waiter arriving after the writer was verified,
 * stale topologies that are not believed, and a dead cluster that stops being probed once
 * nobody waits. Real time in milliseconds; each bound below is derived from the monitor's own
 * settings.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auroraPostgresDialect } from '../../src/dialects/aurora-postgres.js';
import { makeHost, type HostInfo } from '../../src/drivers/host-info.js';
import { parseHostPattern } from '../../src/topology/host-pattern.js';
import { hostsFromTopology } from '../../src/topology/topology-host-list-provider.js';
import { NoVerifiedWriterError, TopologyMonitor } from '../../src/topology/topology-monitor.js';
import { MemoryCluster, MemoryDriver, outcome, errorOf, until } from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });

const live: TopologyMonitor[] = [];
afterEach(() => {
  for (const m of live.splice(0)) m.close();
});

interface Settings {
  refreshMs: number;
  highRefreshMs: number;
  failoverTimeoutMs: number;
  connectTimeoutMs: number;
}

const SETTINGS: Settings = {
  refreshMs: 100,
  highRefreshMs: 20,
  failoverTimeoutMs: 1_000,
  connectTimeoutMs: 200,
};

/** A monitor of `cluster` wired as failover2's monitor-link.ts wires it, over the memory driver. */
function monitorOf(cluster: MemoryCluster, settings: Partial<Settings> = {}) {
  const driver = new MemoryDriver(cluster);
  const pattern = parseHostPattern(`?.${cluster.dnsId}.${cluster.domain}`);
  const monitor = new TopologyMonitor({
    key: `memory:${cluster.dnsId}`,
    driver,
    driverConfig: {},
    dialect: auroraPostgresDialect,
    readTopology: async (conn) =>
      hostsFromTopology(await auroraPostgresDialect.queryTopology(conn), pattern, cluster.port),
    initialHosts: [makeHost(cluster.endpoint, cluster.port)],
    ...SETTINGS,
    ...settings,
  });
  live.push(monitor);
  return { monitor, driver };
}

const idOf = (h: HostInfo | undefined): string | undefined => h?.instanceId;

async function started(cluster: MemoryCluster, settings: Partial<Settings> = {}) {
  const m = monitorOf(cluster, settings);
  await until(
    () => m.monitor.hosts().length === cluster.instances.length && m.monitor.connected,
    'first topology',
  );
  return m;
}

describe('topology monitor: normal mode', () => {
  it('reads the topology through its own connection to the writer and publishes it', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    expect(idOf(monitor.writer())).toBe('instance-1');
    expect(monitor.hosts().map((h) => `${h.instanceId}:${h.role}`)).toEqual([
      'instance-1:writer',
      'instance-2:reader',
      'instance-3:reader',
    ]);
    expect(cluster.instance('instance-1').open.size).toBe(1);
    expect(monitor.searching).toBe(false);
  });

  it('follows a switchover read from the writer: reconnects to the writer it names, no search', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    cluster.promote('instance-2');
    await until(
      () => idOf(monitor.writer()) === 'instance-2' && cluster.instance('instance-2').open.size === 1,
      'the switchover followed',
      20 * SETTINGS.refreshMs,
    );
    expect(monitor.searches).toBe(0);
    await until(() => cluster.instance('instance-1').open.size === 0, 'the old writer connection closed');
  });

  it('close() ends its connection and rejects waiters', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    monitor.reportFailure(monitor.writer());
    const waiting = outcome(monitor.awaitVerifiedWriter(new AbortController().signal));
    cluster.killAll();
    monitor.close();
    expect(errorOf(await waiting)).toBeInstanceOf(NoVerifiedWriterError);
    expect(cluster.openConnections()).toBe(0);
  });
});

describe('topology monitor: panic mode', () => {
  it('a reported failure probes every host; the promoted instance verifies itself and every waiter wakes at once', async () => {
    const cluster = new MemoryCluster({ instances: 4 });
    const { monitor } = await started(cluster);
    const writer = monitor.writer();
    cluster.failover('instance-3'); // readers stale: they still name instance-1
    monitor.reportFailure(writer);
    expect(monitor.searching).toBe(true);
    const woken: number[] = [];
    const waiters = Array.from({ length: 20 }, () =>
      monitor.awaitVerifiedWriter(new AbortController().signal).then((w) => {
        woken.push(Date.now());
        return w;
      }),
    );
    const found = await Promise.all(waiters);
    expect(new Set(found.map(idOf))).toEqual(new Set(['instance-3']));
    // One promise resolved for all: they resume in the same turn of the loop.
    expect(Math.max(...woken) - Math.min(...woken)).toBeLessThan(20);
    expect(monitor.searches).toBe(1);
    expect(monitor.searching).toBe(false);
    // Every host was probed, the failed writer included.
    for (const i of cluster.instances) expect(i.connectAttempts).toBeGreaterThan(0);
  });

  it('a waiter arriving after the writer was verified gets it at once, without another search', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    cluster.failover('instance-2');
    monitor.reportFailure(monitor.writer());
    await monitor.awaitVerifiedWriter(new AbortController().signal);
    const attempts = cluster.instances.map((i) => i.connectAttempts);
    // Late: its connection noticed the loss only now, and reports the old writer.
    monitor.reportFailure(makeHost(cluster.hostOf('instance-1'), cluster.port, { instanceId: 'instance-1' }));
    let settled = false;
    const late = monitor.awaitVerifiedWriter(new AbortController().signal).then((w) => {
      settled = true;
      return w;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(idOf(await late)).toBe('instance-2');
    expect(monitor.searches).toBe(1);
    expect(monitor.searching).toBe(false);
    expect(cluster.instances.map((i) => i.connectAttempts)).toEqual(attempts);
  });

  it('a failure naming no instance (a stale cluster endpoint refusing) while the verified writer answers starts no search; once the writer is lost it does', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    cluster.failover('instance-2');
    monitor.reportFailure(monitor.writer());
    expect(idOf(await monitor.awaitVerifiedWriter(new AbortController().signal))).toBe('instance-2');
    await until(() => monitor.connected, 'connected to the new writer');
    const attempts = cluster.instances.map((i) => i.connectAttempts);
    // What failover2 reports for a failed initial connect (CI: a Sequelize replacement refused by
    // the cluster endpoint during the DNS lag restarted the search, suspecting the new writer).
    monitor.reportFailure(undefined);
    expect(monitor.searching).toBe(false);
    expect(idOf(await monitor.awaitVerifiedWriter(new AbortController().signal))).toBe('instance-2');
    expect(monitor.searches).toBe(1);
    expect(cluster.instances.map((i) => i.connectAttempts)).toEqual(attempts);
    // The new writer dies too: its connection closes, and the same report is a failure now.
    cluster.instance('instance-2').connectMode = 'refuse';
    cluster.reset('instance-2');
    await until(() => !monitor.connected, 'the writer connection lost');
    monitor.reportFailure(undefined);
    expect(monitor.searching).toBe(true);
    expect(monitor.searches).toBe(2);
  });

  it('a stale reader naming the failed writer is not believed: the writer must verify itself', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    const old = monitor.writer();
    // The writer dies and nobody is promoted for a while: the readers keep naming instance-1.
    cluster.instance('instance-1').connectMode = 'refuse';
    cluster.reset('instance-1');
    monitor.reportFailure(old);
    const waiting = monitor.awaitVerifiedWriter(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 60));
    expect(monitor.searching).toBe(true);
    expect(monitor.writer()).toBe(old); // nothing new believed
    cluster.promote('instance-2');
    expect(idOf(await waiting)).toBe('instance-2');
  });

  it('during the high-rate window a topology naming another writer is ignored, even from the writer', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    cluster.failover('instance-2');
    monitor.reportFailure(monitor.writer());
    await monitor.awaitVerifiedWriter(new AbortController().signal);
    // instance-2's metadata lags (still names instance-1) right after its promotion.
    cluster.instance('instance-2').view = cluster
      .truth()
      .map((r) => ({ ...r, isWriter: r.id === 'instance-1' }));
    const reads = cluster.count('query', 'instance-2');
    await until(() => cluster.count('query', 'instance-2') >= reads + 3, 'a few high-rate refreshes');
    expect(idOf(monitor.writer())).toBe('instance-2');
    // A connection failing over now is sent to the verified writer, not back to the dead one.
    expect(idOf(await monitor.awaitVerifiedWriter(new AbortController().signal))).toBe('instance-2');
    expect(monitor.searches).toBe(1);
  });

  it('a dead cluster: the search ends at failoverTimeoutMs; with nobody waiting the hosts are no longer probed', async () => {
    const cluster = new MemoryCluster();
    const failoverTimeoutMs = 300;
    const refreshMs = 150;
    const { monitor } = await started(cluster, { failoverTimeoutMs, refreshMs });
    cluster.killAll();
    monitor.reportFailure(monitor.writer());
    const t0 = Date.now();
    const waited = await outcome(monitor.awaitVerifiedWriter(new AbortController().signal));
    expect(errorOf(waited)).toBeInstanceOf(NoVerifiedWriterError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(failoverTimeoutMs - 5);
    expect(monitor.searching).toBe(false);
    const readersDuring = cluster.readers().map((i) => i.connectAttempts);
    const writerDuring = cluster.instance('instance-1').connectAttempts;
    expect(Math.min(...readersDuring)).toBeGreaterThan(1); // they were probed during the search
    const windowMs = 400;
    await new Promise((r) => setTimeout(r, windowMs));
    // No new search; the readers are not probed at all; the refreshes that go on try the
    // writer's address once per round, at most one round per refreshMs.
    expect(monitor.searches).toBe(1);
    expect(cluster.readers().map((i) => i.connectAttempts)).toEqual(readersDuring);
    expect(cluster.instance('instance-1').connectAttempts - writerDuring).toBeLessThanOrEqual(
      Math.floor(windowMs / refreshMs) + 1,
    );
    // A connection failing again (it reports, then waits, as failover2 does) starts a search at once.
    monitor.reportFailure(monitor.writer());
    const again = outcome(monitor.awaitVerifiedWriter(AbortSignal.timeout(50)));
    expect(monitor.searching).toBe(true);
    expect(errorOf(await again)).toBeDefined();
  });

  it('the last waiter leaving ends the search it asked for', async () => {
    const cluster = new MemoryCluster();
    const { monitor } = await started(cluster);
    cluster.killAll();
    const ctl = new AbortController();
    monitor.reportFailure(monitor.writer());
    const waiting = outcome(monitor.awaitVerifiedWriter(ctl.signal));
    expect(monitor.searching).toBe(true);
    ctl.abort();
    await waiting;
    expect(monitor.searching).toBe(false);
  });
});
