/**
 * An idle reader connection whose reader lags past `maxReplicaLagMs`, or was promoted to writer,
 * moves before its pool hands it out (src/plugins/failover-core/reader-move.ts; the pools call LogicalConnection.wantsToMove /
 * moveNow), over the in-memory driver through the real plugins (v1 and v2): it moves to a reader
 * within the limit and the old session is closed; it stays when its session ran something of its
 * own, inside a transaction, when no other reader is within the limit, without the option, and
 * once the reader caught up. The pools' use of it runs on real engines (reader-pool-suite.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  until,
  type FailoverVersion,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

/** The topology (hence the lag) is read again every 30 ms. */
const FAST_TOPOLOGY = { topologyRefreshMs: 30, clusterTopologyHighRefreshRateMs: 30 };

async function onLaggingReader(
  version: FailoverVersion,
  options: Record<string, unknown> = { maxReplicaLagMs: 1_000 },
  lagging: readonly string[] = ['instance-2'],
) {
  const cluster = new MemoryCluster({ instances: 4 });
  const client = await connectedClient(cluster, {
    host: cluster.readerEndpoint,
    plugins: [version],
    options: { ...FAST_TOPOLOGY, ...options },
  });
  expect(client.instance()).toBe('instance-2');
  for (const id of lagging) cluster.instance(id).lagMs = 5_000;
  // Until the connection's topology shows the lag (v2: the monitor; v1: its cache, read again on use).
  const start = Date.now();
  const lagSeen = (): boolean =>
    (client.lc.service.hosts().find((h) => h.instanceId === 'instance-2')?.lagMs ?? 0) > 1_000;
  while (!lagSeen()) {
    if (Date.now() - start > 2_000) throw new Error('the lag never reached the topology');
    if (version === 'failover') await client.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 5));
  }
  return { cluster, client };
}

describe.each<FailoverVersion>(['failover', 'failover2'])('moving off a lagging reader (%s)', (version) => {
  it('an idle connection moves to a reader within the limit; the old session is closed', async () => {
    const { cluster, client } = await onLaggingReader(version);
    await until(() => client.lc.wantsToMove(), 'the lag seen');
    const old = client.current();
    expect(await client.lc.moveNow()).toBe(true);
    expect(['instance-3', 'instance-4']).toContain(client.instance());
    expect(old.closed).toBe(true);
    expect(client.switches).toHaveLength(1);
    expect(client.lc.wantsToMove()).toBe(false);
    expect(await client.query('SELECT 1')).toEqual([[1]]);
    expect(cluster.instance('instance-2').open.size).toBe(0);
  });

  it('stays: a session that ran a SET, a transaction, every other reader lagging, or no maxReplicaLagMs', async () => {
    const touched = await onLaggingReader(version);
    await touched.client.query("SET TIME ZONE 'UTC'");
    expect(touched.client.lc.wantsToMove()).toBe(false);
    expect(await touched.client.lc.moveNow()).toBe(false);
    expect(touched.client.instance()).toBe('instance-2');

    const inTx = await onLaggingReader(version);
    await inTx.client.query('BEGIN');
    expect(inTx.client.lc.wantsToMove()).toBe(false);

    const allLag = await onLaggingReader(version, { maxReplicaLagMs: 1_000 }, [
      'instance-2',
      'instance-3',
      'instance-4',
    ]);
    expect(allLag.client.lc.wantsToMove()).toBe(false);

    const off = await onLaggingReader(version, {});
    expect(off.client.lc.wantsToMove()).toBe(false);
  });

  it('stays once its reader caught up', async () => {
    const { cluster, client } = await onLaggingReader(version);
    await until(() => client.lc.wantsToMove(), 'the lag seen');
    cluster.instance('instance-2').lagMs = 2;
    const start = Date.now();
    for (;;) {
      if (version === 'failover') await client.query('SELECT 1'); // v1 refreshes its cache on use
      if (!client.lc.wantsToMove()) break;
      if (Date.now() - start > 2_000) throw new Error('the catch-up was never seen');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(client.instance()).toBe('instance-2');
  });

  it('a reader promoted to writer: its idle reader connection moves to a reader (no maxReplicaLagMs needed)', async () => {
    const cluster = new MemoryCluster({ instances: 3 });
    const client = await connectedClient(cluster, {
      host: cluster.readerEndpoint,
      plugins: [version],
      options: FAST_TOPOLOGY,
    });
    expect(client.instance()).toBe('instance-2');
    // A switchover's roles: instance-2 is the writer now, its sessions stay up.
    cluster.promote('instance-2');
    const start = Date.now();
    while (!client.lc.wantsToMove()) {
      if (Date.now() - start > 2_000) throw new Error('the promotion was never seen');
      if (version === 'failover') await client.query('SELECT 1'); // v1 refreshes its cache on use
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await client.lc.moveNow()).toBe(true);
    expect(['instance-1', 'instance-3']).toContain(client.instance());
    expect(cluster.instance(client.instance()).role).toBe('reader');
  });
});
