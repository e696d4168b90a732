/**
 * Failover v1's writer failover (src/plugins/failover/writer-failover.ts) over the in-memory
 * driver, through the real plugin: task A (the old writer back, accepted only as the writer)
 * against task B (a reader's topology names a new writer, which must verify itself), stale
 * readers, and that nothing either task opened is left open. One race: a reader dropping its
 * connection (it restarts to follow the new writer) wakes task B at once instead of after the
 * refresh period (fix 32cbcfb).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { AURORA_PG } from '../../src/dialects/sql.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  until,
  type MemoryClient,
} from '../support/memory-driver/index.js';

afterEach(endAllClients);
// Each test takes milliseconds; a hang should fail fast, not after vitest's 60 s.
vi.setConfig({ testTimeout: 8_000 });

/** A call in flight on the writer when the script acts (its failure starts the failover). */
async function callInFlight(cluster: MemoryCluster, client: MemoryClient) {
  cluster.instance(client.instance()).queryMode = 'silent';
  const call = outcome(client.query('SELECT 1'));
  await Promise.resolve();
  return { call };
}

describe('v1 writer failover: task A against task B', () => {
  it('task A: the old writer back after a blip, still the writer, is taken again', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const { call } = await callInFlight(cluster, client);
    const w = cluster.instance('instance-1');
    w.connectMode = 'refuse';
    cluster.reset('instance-1');
    w.queryMode = 'answer';
    // Back after a moment; the readers still (rightly) name it the writer, so task B finds nothing new.
    setTimeout(() => cluster.heal('instance-1'), 30).unref();
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect((errorOf(r) as FailoverSuccessError).newHost).toBe(`${cluster.hostOf('instance-1')}:5432`);
    expect(client.instance()).toBe('instance-1');
    expect(cluster.count('refused', 'instance-1')).toBeGreaterThan(0);
    await until(() => cluster.openConnections() === 1, 'the tasks’ other connections closed');
  });

  it('task A refuses the old writer back as a reader; task B takes the promoted one once a reader names it', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const { call } = await callInFlight(cluster, client);
    cluster.failover('instance-2'); // readers stale: they still name instance-1
    const old = cluster.instance('instance-1');
    old.queryMode = 'answer';
    old.connectMode = 'accept'; // back at once, but as a reader
    setTimeout(() => cluster.thawViews(), 60).unref();
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-2');
    // Task A did reach instance-1 and asked it, and did not keep it.
    const askedOld = cluster.events.filter(
      (e) => e.what === 'query' && e.instance === 'instance-1' && e.detail === AURORA_PG.writerCheck,
    );
    expect(askedOld.length).toBeGreaterThan(0);
    await until(() => cluster.openConnections() === 1, 'the tasks’ other connections closed');
  });

  it('task B: a stale reader naming the failed writer is not followed; the new writer is taken once named', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const { call } = await callInFlight(cluster, client);
    cluster.failover('instance-3');
    // instance-2 answers first and keeps naming instance-1 for a while; the promoted instance-3
    // is slow to take connections at first.
    cluster.instance('instance-3').connectDelayMs = 30;
    setTimeout(() => cluster.thawViews(), 120).unref();
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-3');
    // The stale answers were read (more than once) and not followed to instance-1.
    const staleReads = cluster.events.filter(
      (e) => e.what === 'query' && e.instance === 'instance-2' && e.detail === AURORA_PG.topology,
    );
    expect(staleReads.length).toBeGreaterThan(1);
    expect(cluster.count('connect', 'instance-1')).toBe(1); // the first connection only
    // The shared topology now names the verified writer.
    const writer = client.lc.service.hosts().find((h) => h.role === 'writer');
    expect(writer?.instanceId).toBe('instance-3');
  });

  it('five connections of one cluster failing at once all end on the new writer, each with one switch', async () => {
    const cluster = new MemoryCluster();
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connectedClient(cluster)));
    cluster.instance('instance-1').queryMode = 'silent';
    const calls = clients.map((c) => outcome(c.query('SELECT 1')));
    await Promise.resolve();
    cluster.failover('instance-2');
    setTimeout(() => cluster.thawViews(), 40).unref();
    const results = await Promise.all(calls);
    for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    for (const c of clients) {
      expect(c.instance()).toBe('instance-2');
      expect(c.switches).toHaveLength(1);
    }
    await until(() => cluster.openConnections() === clients.length, 'only the five moved connections open');
  });
});

describe('v1 writer failover: races', () => {
  it('a reader dropping its connection (restarting to follow the new writer) wakes task B at once (fix 32cbcfb)', async () => {
    const cluster = new MemoryCluster();
    const refreshMs = 3_000;
    const client = await connectedClient(cluster, {
      options: { failoverClusterTopologyRefreshRateMs: refreshMs, failoverTimeoutMs: 10_000 },
    });
    const { call } = await callInFlight(cluster, client);
    // The writer dies; no promotion yet: every reader's metadata still names instance-1.
    const old = cluster.instance('instance-1');
    old.connectMode = 'refuse';
    cluster.reset('instance-1');
    // Task B has read a (stale) topology from a reader and now waits for the next read.
    await until(
      () =>
        cluster.events.some(
          (e) => e.what === 'query' && e.instance !== 'instance-1' && e.detail === AURORA_PG.topology,
        ),
      'task B reading a reader’s topology',
    );
    await new Promise((r) => setTimeout(r, 20));
    // Promotion: the readers restart to follow instance-2, dropping their sessions.
    const promotedAt = Date.now();
    cluster.promote('instance-2');
    cluster.reset('instance-2');
    cluster.reset('instance-3');
    const r = await call;
    const took = Date.now() - promotedAt;
    expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-2');
    // Woken by the drop, not by the refresh period (a third of it is a wide margin on a loaded machine).
    expect(took).toBeLessThan(refreshMs / 3);
  });
});
