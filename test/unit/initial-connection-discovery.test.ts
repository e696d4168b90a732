/**
 * initialConnection over the in-memory driver: connections opened together while the process's
 * topology names a writer that is gone (a pool refilling during the DNS lag after a failover)
 * share one search for the new writer (src/plugins/initial-connection/shared-discovery.ts)
 * instead of each walking the instances, and every one of them lands on the new writer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { initialConnectionPluginFactory } from '../../src/plugins/initial-connection/initial-connection-plugin-factory.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  memoryClient,
} from '../support/memory-driver/index.js';

afterEach(endAllClients);
vi.setConfig({ testTimeout: 8_000 });

const PLUGINS = [initialConnectionPluginFactory, failoverPluginFactory];

describe('initialConnection: opens during the DNS lag after a failover', () => {
  it('10 opens at once share one search: each lands on the new writer, the stale reader is asked once', async () => {
    const cluster = new MemoryCluster({ instances: 3 });
    // A first connection teaches the process the topology (writer instance-1).
    const first = await connectedClient(cluster, { plugins: PLUGINS });
    expect(first.instance()).toBe('instance-1');
    // instance-3 is promoted; instance-1 refuses; instance-2 still reports instance-1 as writer;
    // DNS still sends the writer endpoint to instance-1.
    cluster.failover('instance-3');
    cluster.endpointTarget = 'instance-1';
    const before = cluster.events.length;
    const clients = Array.from({ length: 10 }, () => memoryClient(cluster, { plugins: PLUGINS }));
    await Promise.all(clients.map((c) => c.lc.open()));
    expect(clients.map((c) => c.instance())).toEqual(Array(10).fill('instance-3'));
    const after = cluster.events.slice(before);
    const attempts = (id: string): number =>
      after.filter((e) => (e.what === 'connect' || e.what === 'refused') && e.instance === id).length;
    // Each open tried the writer its topology named (refused) at most once; one search asked
    // the stale reader once and found instance-3; the others went straight to instance-3.
    expect(attempts('instance-1')).toBeLessThanOrEqual(10);
    expect(attempts('instance-2')).toBe(1);
    expect(attempts('instance-3')).toBeLessThanOrEqual(10 + 1);
  });
});
