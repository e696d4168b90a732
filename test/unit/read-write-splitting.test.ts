/**
 * The readWriteSplitting plugin over the in-memory driver, through the real LogicalConnection
 * and failover plugins (v1 and v2): switches reuse the two kept physical connections, end()
 * closes both, an idle reader side lost while unused is replaced at the next switch without a
 * failover, calls are serialized in call order, bad input and a missing plugin are typed
 * errors. The same on real engines: test/support/read-write-splitting-suite.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadWriteSplittingError } from '../../src/core/errors.js';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { readWriteSplittingPluginFactory } from '../../src/plugins/read-write-splitting/read-write-splitting-plugin-factory.js';
import { MemoryCluster, connectedClient, endAllClients, until } from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

for (const [name, failover] of [
  ['failover', failoverPluginFactory],
  ['failover2', failover2PluginFactory],
] as const) {
  describe(`readWriteSplitting with ${name}`, () => {
    const plugins = [readWriteSplittingPluginFactory, failover];

    it('200 switches: 2 physical connections, readers for true, the writer for false; end() closes both', async () => {
      const cluster = new MemoryCluster({ instances: 3 });
      const client = await connectedClient(cluster, { plugins });
      expect(client.instance()).toBe('instance-1');
      const before = client.driver.connectCount;
      await client.lc.setReadOnly(true);
      const reader = client.instance();
      expect(['instance-2', 'instance-3']).toContain(reader);
      for (let i = 0; i < 200; i++) {
        await client.lc.setReadOnly(i % 2 === 1);
        expect(client.instance()).toBe(i % 2 === 1 ? reader : 'instance-1');
      }
      expect(client.driver.connectCount - before).toBe(1);
      expect(client.failed).toEqual([]);
      await client.end();
      await until(() => cluster.openConnections() === 0, 'both sides closed');
    });

    it('the idle reader side reset while unused: the next setReadOnly(true) opens another connection, no failover', async () => {
      const cluster = new MemoryCluster({ instances: 3 });
      const client = await connectedClient(cluster, { plugins });
      await client.lc.setReadOnly(true);
      const reader = client.instance();
      await client.lc.setReadOnly(false);
      const switchesBefore = client.switches.length;
      cluster.reset(reader);
      await client.query('SELECT 1');
      expect(client.instance()).toBe('instance-1');
      const connects = client.driver.connectCount;
      await client.lc.setReadOnly(true);
      expect(client.driver.connectCount).toBe(connects + 1);
      expect(['instance-2', 'instance-3']).toContain(client.instance());
      // One change of physical connection (the switch itself), no failover.
      expect(client.switches.length).toBe(switchesBefore + 1);
      expect(client.failed).toEqual([]);
    });

    it('calls made without awaiting run in call order', async () => {
      const cluster = new MemoryCluster({ instances: 3 });
      const client = await connectedClient(cluster, { plugins });
      await Promise.all([
        client.lc.setReadOnly(true),
        client.lc.setReadOnly(false),
        client.lc.setReadOnly(true),
      ]);
      expect(client.lc.isReadOnly()).toBe(true);
      expect(['instance-2', 'instance-3']).toContain(client.instance());
    });
  });
}

describe('readWriteSplitting: bad input', () => {
  it('a non-boolean: READ_ONLY_BAD_ARGUMENT; without the plugin: READ_ONLY_NOT_ENABLED naming plugins', async () => {
    const cluster = new MemoryCluster({ instances: 3 });
    const client = await connectedClient(cluster, {
      plugins: [readWriteSplittingPluginFactory, failoverPluginFactory],
    });
    for (const bad of ['true', 1, null, undefined, {}]) {
      const err = await client.lc.setReadOnly(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ReadWriteSplittingError);
      expect((err as ReadWriteSplittingError).code).toBe('READ_ONLY_BAD_ARGUMENT');
    }
    const plain = await connectedClient(cluster, { plugins: ['failover'] });
    const err = await plain.lc.setReadOnly(true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ReadWriteSplittingError).code).toBe('READ_ONLY_NOT_ENABLED');
    expect((err as ReadWriteSplittingError).option).toBe('plugins');
  });
});
