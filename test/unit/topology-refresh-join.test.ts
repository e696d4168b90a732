/**
 * A stale shared topology refreshed by many connections at once (issue 26): `refresh(conn)`
 * (the connect-time read of initialConnection and failover v1, which accept a cached copy)
 * joins a read already in flight, whatever connection it goes through, so a burst of connects
 * makes one topology read; a joined read that fails (or outlasts half the caller's bound)
 * leads to exactly one read through the caller's own connection; a fresh copy makes none.
 * `forceRefresh(conn)` still reads through that very connection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { ConnectionPluginService } from '../../src/connection/plugin-service.js';
import { withTimeout } from '../../src/core/time.js';
import { AURORA_PG } from '../../src/dialects/sql.js';
import { makeHost } from '../../src/drivers/host-info.js';
import {
  FAST_OPTIONS,
  MemoryCluster,
  MemoryConnection,
  MemoryDriver,
  connectedClient,
  endAllClients,
  until,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });

const REFRESH_MS = 30;
const BOUND_MS = 1_000;

const services: ConnectionPluginService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) {
    s.closing = true;
    s.detachCurrent()?.abort();
    s.releaseProvider();
  }
  await endAllClients();
});

function serviceFor(cluster: MemoryCluster): ConnectionPluginService {
  const config = resolveConfig('postgres', {
    host: cluster.endpoint,
    port: cluster.port,
    user: 'app',
    ...FAST_OPTIONS,
    topologyRefreshMs: REFRESH_MS,
  });
  const service = new ConnectionPluginService(config, new MemoryDriver(cluster), true);
  service.attach([], service.driverConnect);
  services.push(service);
  return service;
}

/** Topology reads so far through the connections `conns`. */
function reads(conns: readonly MemoryConnection[]): number {
  return conns.reduce((n, c) => n + c.statements.filter((s) => s === AURORA_PG.topology).length, 0);
}

/** A service whose shared topology is known and now stale, with `n` connections to `instance`. */
async function staleWith(cluster: MemoryCluster, n: number, instance = 'instance-1') {
  const service = serviceFor(cluster);
  const first = (await service.connect(service.initialHost, true)) as MemoryConnection;
  await service.setCurrentConnection(first, first.host);
  await service.refreshHostList(first, BOUND_MS);
  expect(service.hosts().length).toBe(3);
  const host = makeHost(cluster.hostOf(instance), cluster.port);
  const conns = await Promise.all(
    Array.from({ length: n }, async () => (await service.connect(host, false)) as MemoryConnection),
  );
  await until(() => service.topologyStale(), 'the topology stale', 1_000);
  return { service, conns };
}

/** The `i`th connection (the lists are built with enough). */
function at(conns: readonly MemoryConnection[], i: number): MemoryConnection {
  const c = conns[i];
  if (c === undefined) throw new Error(`no connection ${i}`);
  return c;
}

/** A topology error for the first `count` topology reads on `instance`, then answers. */
function failTopologyReads(cluster: MemoryCluster, instance: string, count: number): void {
  let left = count;
  cluster.instance(instance).queryError = (sql) => {
    if (sql !== AURORA_PG.topology || left <= 0) return undefined;
    left--;
    return new Error('topology read failed');
  };
}

describe('refresh(conn) joins a topology read in flight', () => {
  it('N concurrent refreshes of a stale copy make exactly one topology read', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 20);
    cluster.instance('instance-1').queryDelayMs = 20;
    await Promise.all(conns.map((c) => service.refreshHostList(c, BOUND_MS)));
    expect(reads(conns)).toBe(1);
    expect(service.topologyStale()).toBe(false);
  });

  it('a caller arriving while the first read runs joins it too (one read for the burst)', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 10);
    cluster.instance('instance-1').queryDelayMs = 40;
    const early = conns.slice(0, 5).map((c) => service.refreshHostList(c, BOUND_MS));
    await new Promise((r) => setTimeout(r, 10));
    const late = conns.slice(5).map((c) => service.refreshHostList(c, BOUND_MS));
    await Promise.all([...early, ...late]);
    expect(reads(conns)).toBe(1);
  });

  it('a fresh copy makes no read', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 5);
    await service.refreshHostList(at(conns, 0), BOUND_MS);
    const before = reads(conns);
    await Promise.all(conns.map((c) => service.refreshHostList(c, BOUND_MS)));
    expect(reads(conns)).toBe(before);
  });

  it('a joined read that fails leads to exactly one own read per joiner', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 1, 'instance-2');
    const starter = at(conns, 0);
    const joiners = await Promise.all(
      [1, 2, 3].map(async () => (await service.connect(service.initialHost, false)) as MemoryConnection),
    );
    failTopologyReads(cluster, 'instance-2', 1);
    const first = service.refreshHostList(starter, BOUND_MS);
    const joined = joiners.map((c) => service.refreshHostList(c, BOUND_MS));
    await expect(first).rejects.toThrow('topology read failed');
    await Promise.all(joined);
    expect(reads([starter])).toBe(1);
    for (const c of joiners) expect(reads([c])).toBe(1);
    expect(service.topologyStale()).toBe(false);
  });

  it('an own read after a failed joined read is not retried (bounded)', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 3);
    failTopologyReads(cluster, 'instance-1', 100);
    const all = conns.map((c) => service.refreshHostList(c, BOUND_MS));
    for (const p of all) await expect(p).rejects.toThrow('topology read failed');
    // The first read, then one own read per joiner, no more.
    expect(reads(conns)).toBe(conns.length);
  });

  it('a joined read that hangs is left after half the bound for one own read', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 1, 'instance-2');
    const starter = at(conns, 0);
    const joiner = (await service.connect(service.initialHost, false)) as MemoryConnection;
    cluster.instance('instance-2').queryMode = 'silent';
    const first = service.refreshHostList(starter, 400);
    const started = Date.now();
    await service.refreshHostList(joiner, 200);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(200);
    expect(reads([joiner])).toBe(1);
    // The starter's own read is bounded by its caller, which aborts its connection (as connect does).
    starter.abort();
    await expect(first).rejects.toThrow();
  });

  it("a read through a silent connection is left to the caller's bound, which aborts the connection", async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 1, 'instance-2');
    const conn = at(conns, 0);
    cluster.instance('instance-2').queryMode = 'silent';
    // As connect does (connect-steps.ts, failover v1): bounded, the connection aborted on give-up,
    // so that connect() never hands out a connection that stopped answering.
    const bounded = withTimeout(service.refreshHostList(conn, 100), 100, 'topology query', undefined, () =>
      conn.abort(),
    );
    await expect(bounded).rejects.toThrow(/did not finish within 100 ms/);
    expect(conn.closed).toBe(true);
  });

  it('forceRefresh(conn) still reads through that very connection while another read runs', async () => {
    const cluster = new MemoryCluster();
    const { service, conns } = await staleWith(cluster, 2);
    cluster.instance('instance-1').queryDelayMs = 20;
    const joined = service.refreshHostList(at(conns, 0), BOUND_MS);
    await service.forceRefreshHostList(at(conns, 1), BOUND_MS);
    await joined;
    expect(reads([at(conns, 0)])).toBe(1);
    expect(reads([at(conns, 1)])).toBe(1);
  });

  it("with failover2, refreshes of the copy gone stale while the monitor reads join the monitor's read", async () => {
    const cluster = new MemoryCluster();
    const topologyRefreshMs = 50;
    const client = await connectedClient(cluster, { plugins: ['failover2'], options: { topologyRefreshMs } });
    const service = client.lc.service;
    const conns = await Promise.all(
      Array.from(
        { length: 10 },
        async () => (await service.forceConnect(service.initialHost)) as MemoryConnection,
      ),
    );
    const topologyReads = (): number =>
      cluster.events.filter((e) => e.what === 'query' && e.detail === AURORA_PG.topology).length;
    await until(() => topologyReads() >= 2, 'the monitor reading on its own', 1_000);
    // The monitor's next read takes 200 ms; once it is sent, the copy goes stale meanwhile.
    cluster.instance('instance-1').queryDelayMs = 200;
    const sent = topologyReads();
    await until(() => topologyReads() > sent, "the monitor's next read sent", 1_000);
    await new Promise((r) => setTimeout(r, topologyRefreshMs + 20));
    const before = topologyReads();
    await Promise.all(conns.map((c) => service.refreshHostList(c, 1_000)));
    expect(reads(conns)).toBe(0);
    expect(topologyReads()).toBe(before);
  });
});
