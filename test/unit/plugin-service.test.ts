/**
 * The plugin service (src/connection/plugin-service.ts) over the in-memory driver: dialect
 * detection once per host (connections opening together share it), the host list provider the
 * dialect calls for, the switch of physical connection (previous aborted, plugins and facade
 * told, refused once closing), the idle loss noted for the current connection only, the quiet
 * topology refresh (only when stale, idle and outside a transaction), and a failed initial
 * connect adopting a dialect an earlier connection detected.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { Plugin } from '../../src/connection/plugin.js';
import { ConnectionPluginService } from '../../src/connection/plugin-service.js';
import { ConnectionClosedError } from '../../src/core/errors.js';
import { AURORA_PG } from '../../src/dialects/sql.js';
import { makeHost, type HostInfo } from '../../src/drivers/host-info.js';
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

const services: ConnectionPluginService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) {
    s.closing = true;
    s.detachCurrent()?.abort();
    s.releaseProvider();
  }
  await endAllClients();
});

function serviceFor(
  cluster: MemoryCluster,
  options: Record<string, unknown> = {},
  driver = new MemoryDriver(cluster),
) {
  const config = resolveConfig('postgres', {
    host: cluster.endpoint,
    port: cluster.port,
    user: 'app',
    ...FAST_OPTIONS,
    ...options,
  });
  const service = new ConnectionPluginService(config, driver, true);
  const seen: HostInfo[] = [];
  const plugin: Plugin = { code: 'spy', subscribes: [], notifyConnectionChanged: (h) => void seen.push(h) };
  service.attach([plugin], service.driverConnect);
  const changes: [MemoryConnection, MemoryConnection | undefined][] = [];
  service.observe({
    connectionChanged: (c, p) =>
      void changes.push([c as MemoryConnection, p as MemoryConnection | undefined]),
  });
  services.push(service);
  return { service, driver, seen, changes };
}

const detections = (cluster: MemoryCluster): number =>
  cluster.events.filter((e) => e.what === 'query' && e.detail === AURORA_PG.detect).length;

describe('plugin service', () => {
  it('detects Aurora PostgreSQL once per host; connections opening together share the detection', async () => {
    const cluster = new MemoryCluster();
    const opened = await Promise.all([1, 2, 3, 4, 5].map(() => connectedClient(cluster)));
    expect(detections(cluster)).toBe(1);
    await connectedClient(cluster);
    expect(detections(cluster)).toBe(1);
    for (const c of opened) expect(c.lc.service.dialect?.name).toBe('aurora-postgres');
  });

  it('an Aurora dialect reached through an RDS name gets the topology provider: instance hosts from the pattern', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const hosts = client.lc.service.hosts();
    expect(hosts.map((h) => h.host)).toEqual(cluster.instances.map((i) => i.host));
    expect(hosts.find((h) => h.role === 'writer')?.instanceId).toBe('instance-1');
  });

  it('a switch aborts the previous connection and tells the plugins and the facade; once closing it is refused', async () => {
    const cluster = new MemoryCluster();
    const { service, seen, changes } = serviceFor(cluster);
    const first = (await service.connect(service.initialHost, true)) as MemoryConnection;
    await service.setCurrentConnection(first, first.host);
    const second = (await service.connect(
      makeHost(cluster.hostOf('instance-2'), 5432),
      false,
    )) as MemoryConnection;
    await service.setCurrentConnection(second, second.host);
    expect(first.closed).toBe(true);
    expect(service.current).toBe(second);
    expect(seen.map((h) => h.host)).toEqual([cluster.endpoint, cluster.hostOf('instance-2')]);
    expect(changes.map(([c, p]) => [c, p])).toEqual([
      [first, undefined],
      [second, first],
    ]);
    service.closing = true;
    const third = (await service.driverConnect(second.host, false)) as MemoryConnection;
    await expect(service.setCurrentConnection(third, third.host)).rejects.toBeInstanceOf(
      ConnectionClosedError,
    );
    expect(third.closed).toBe(true);
    expect(service.current).toBe(second);
  });

  it('an idle loss is noted for the current connection only', async () => {
    const cluster = new MemoryCluster();
    const { service } = serviceFor(cluster);
    const first = (await service.connect(service.initialHost, true)) as MemoryConnection;
    await service.setCurrentConnection(first, first.host);
    const second = (await service.connect(
      makeHost(cluster.hostOf('instance-2'), 5432),
      false,
    )) as MemoryConnection;
    cluster.reset('instance-2'); // not current yet: nothing noted
    expect(service.lossOf(second)).toBeUndefined();
    cluster.reset('instance-1');
    expect((service.lossOf(first) as { code?: string } | undefined)?.code).toBe('ECONNRESET');
  });

  it('the quiet topology refresh runs only when stale, idle and outside a transaction', async () => {
    const cluster = new MemoryCluster();
    // Long enough that the read and the "fresh" call below, two awaits apart, never straddle it
    // on a loaded machine (30 ms did: the copy went stale in between and the call read it).
    const topologyRefreshMs = 1_000;
    const { service } = serviceFor(cluster, { topologyRefreshMs });
    const conn = (await service.connect(service.initialHost, true)) as MemoryConnection;
    await service.setCurrentConnection(conn, conn.host);
    await service.refreshHostList(conn);
    const reads = (): number => conn.statements.filter((s) => s === AURORA_PG.topology).length;
    const first = reads();
    expect(first).toBe(1);
    expect(service.topologyStale()).toBe(false);
    await service.refreshTopologyQuietly(100); // fresh: nothing
    expect(reads()).toBe(first);
    await until(() => service.topologyStale(), 'the topology stale', 5_000);
    await conn.query('BEGIN');
    await service.refreshTopologyQuietly(100); // inside a transaction: nothing
    expect(reads()).toBe(first);
    await conn.query('COMMIT');
    await service.refreshTopologyQuietly(100);
    expect(reads()).toBe(first + 1);
  });

  it('before any connection, a host detected earlier in the process lends its dialect and shared topology', async () => {
    const cluster = new MemoryCluster();
    await connectedClient(cluster); // detects, learns the topology
    const { service } = serviceFor(cluster);
    expect(service.dialect).toBeUndefined();
    expect(service.adoptKnownDialect()).toBe(true);
    expect(service.dialect?.name).toBe('aurora-postgres');
    expect(service.hosts()).toHaveLength(3);
  });
});
