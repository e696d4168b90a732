/**
 * Issue 23's bad input over the in-memory driver: a reader connection (what a reader pool opens)
 * on a cluster whose readers are all down, in `strict-reader`, fails in bounded time with a typed
 * error naming the option that bounds it — never a hang, never the writer. (A failover of an
 * open reader connection in the same state ends in FailoverFailedError by failoverTimeoutMs:
 * reader-failover.test.ts.) A single-instance cluster is the documented exception: its writer
 * is its only instance and strict-reader takes it (docs/failover.md, `failoverMode`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableHostError } from '../../src/core/errors.js';
import { initialConnectionPluginFactory } from '../../src/plugins/initial-connection/initial-connection-plugin-factory.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { MemoryCluster, connectedClient, endAllClients } from '../support/memory-driver/index.js';

afterEach(endAllClients);

const PLUGINS = [initialConnectionPluginFactory, failover2PluginFactory];
const BOUND_MS = 1_000;

describe('a reader connection with no reader to take it', () => {
  it('every reader down, strict-reader: UnavailableHostError naming openConnectionRetryTimeoutMs, within it (+ one attempt), the writer never taken', async () => {
    const cluster = new MemoryCluster({ instances: 3 });
    for (const id of ['instance-2', 'instance-3']) cluster.instance(id).connectMode = 'refuse';
    const started = Date.now();
    const err = await connectedClient(cluster, {
      host: cluster.readerEndpoint,
      plugins: PLUGINS,
      options: { failoverMode: 'strict-reader', openConnectionRetryTimeoutMs: BOUND_MS },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(UnavailableHostError);
    expect((err as Error).message).toContain('openConnectionRetryTimeoutMs');
    expect(elapsed).toBeLessThan(BOUND_MS + 500);
    expect(cluster.instance('instance-1').connectAttempts).toBe(0);
  });

  it('a single-instance cluster: strict-reader takes its only instance (the documented exception)', async () => {
    const cluster = new MemoryCluster({ instances: 1 });
    const client = await connectedClient(cluster, {
      host: cluster.readerEndpoint,
      plugins: PLUGINS,
      options: { failoverMode: 'strict-reader', openConnectionRetryTimeoutMs: BOUND_MS },
    });
    expect(client.instance()).toBe('instance-1');
  });
});
