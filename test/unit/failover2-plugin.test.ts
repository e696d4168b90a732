/**
 * The failover v2 plugin (src/plugins/failover2/) over the in-memory driver, through real
 * logical connections: connections failing together share the cluster's one monitor and its
 * one search, each reconnects to the verified writer itself; a dead cluster fails each by its
 * deadline; the monitor leaves with its last connection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import { clusterKeyOf } from '../../src/plugins/failover2/monitor-link.js';
import { liveMonitorKeys, monitorOf } from '../../src/topology/topology-monitors.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  until,
  type MemoryClient,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

function keyOf(client: MemoryClient): string {
  return clusterKeyOf(client.lc.service);
}

describe('failover2 plugin', () => {
  it('ten connections failing together: one monitor, one search, all on the verified writer', async () => {
    const cluster = new MemoryCluster();
    const clients = await Promise.all(
      Array.from({ length: 10 }, () => connectedClient(cluster, { plugins: ['failover2'] })),
    );
    const key = keyOf(clients[0]!);
    expect(liveMonitorKeys().filter((k) => k === key)).toHaveLength(1);
    const monitor = monitorOf(key)!;
    await until(() => monitor.hosts().length === 3, 'the monitor’s topology');
    cluster.instance('instance-1').queryMode = 'silent';
    const calls = clients.map((c) => outcome(c.query('SELECT 1')));
    await Promise.resolve();
    cluster.failover('instance-3');
    const results = await Promise.all(calls);
    for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    for (const c of clients) expect(c.instance()).toBe('instance-3');
    expect(monitor.searches).toBe(1);
    expect(monitor.writer()?.instanceId).toBe('instance-3');
  });

  it('connections idle on the failed writer recover one after the other: one search, the new writer never blamed', async () => {
    // The emulator (like Aurora) drops the failed writer from the topology while it is down; a
    // connection that recovered later named the topology's writer of the moment — the new one —
    // as its failed host: each started another search (probes to every instance) and marked the
    // new writer unavailable.
    const cluster = new MemoryCluster();
    const clients = await Promise.all(
      [1, 2, 3].map(() => connectedClient(cluster, { plugins: ['failover2'] })),
    );
    const monitor = monitorOf(keyOf(clients[0]!))!;
    await until(() => monitor.hosts().length === 3, 'the monitor’s topology');
    cluster.failover('instance-2');
    cluster.instance('instance-1').listed = false;
    cluster.thawViews();
    for (const c of clients) await until(() => c.current().closed, 'the loss noticed');
    for (const c of clients) {
      expect(errorOf(await outcome(c.query('SELECT 1')))).toBeInstanceOf(FailoverSuccessError);
      expect(c.instance()).toBe('instance-2');
    }
    expect(monitor.searches).toBe(1);
    const newWriter = clients[2]!.lc.service.hosts().find((h) => h.instanceId === 'instance-2');
    expect(newWriter?.availability).not.toBe('unavailable');
  });

  it('a dead cluster: each connection fails with FailoverFailedError by failoverTimeoutMs', async () => {
    const cluster = new MemoryCluster();
    const failoverTimeoutMs = 250;
    const clients = await Promise.all(
      [1, 2].map(() => connectedClient(cluster, { plugins: ['failover2'], options: { failoverTimeoutMs } })),
    );
    cluster.instance('instance-1').queryMode = 'silent';
    const calls = clients.map((c) => outcome(c.query('SELECT 1')));
    await Promise.resolve();
    const t0 = Date.now();
    cluster.killAll();
    const results = await Promise.all(calls);
    for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverFailedError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(failoverTimeoutMs - 5);
    for (const c of clients) expect(c.failed).toHaveLength(1);
  });

  it('the monitor is shared by endpoint and instance-name connections and closes after the last one ends', async () => {
    const cluster = new MemoryCluster();
    const a = await connectedClient(cluster, { plugins: ['failover2'] });
    const b = await connectedClient(cluster, { plugins: ['failover2'], host: cluster.hostOf('instance-2') });
    const key = keyOf(a);
    expect(keyOf(b)).toBe(key);
    const monitor = monitorOf(key)!;
    await a.end();
    await b.end();
    // Closed after its linger (1 s), its connection with it.
    await until(() => monitor.isClosed, 'the monitor closed after its linger', 3_000, 20);
    expect(liveMonitorKeys()).not.toContain(key);
    expect(cluster.openConnections()).toBe(0);
  });

  it('a verified writer slow to take logins while the monitor holds it is retried, not reported failed: one search (fix d448126)', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster, {
      plugins: ['failover2'],
      options: { failoverTimeoutMs: 8_000 },
    });
    const monitor = monitorOf(keyOf(client))!;
    await until(() => monitor.hosts().length === 3, 'the monitor’s topology');
    // instance-2 takes the monitor's probe, then queues every login for longer than the 3 s
    // (SAME_WRITER_RETRY_MS) after which a waiter may report its verified writer failed; the
    // margin past 3 s exceeds the longest retry pause (500 ms), so a retry falls inside it.
    const busyMs = 3_700;
    let busyUntil = Number.POSITIVE_INFINITY;
    const promoted = cluster.instance('instance-2');
    promoted.connectScript = (attempt) => {
      if (attempt === 1) return 'accept';
      if (busyUntil === Number.POSITIVE_INFINITY) busyUntil = Date.now() + busyMs;
      return Date.now() < busyUntil ? 'refuse' : 'accept';
    };
    cluster.instance('instance-3').connectMode = 'refuse';
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.failover('instance-2');
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-2');
    expect(Date.now()).toBeGreaterThanOrEqual(busyUntil);
    expect(monitor.searches).toBe(1);
  });
});
