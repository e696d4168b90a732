/**
 * Reader failover (src/plugins/failover-core/reader-failover.ts), used by v1 and v2 in the
 * reader modes, over the in-memory driver through the real plugins: a failed reader is
 * replaced by another reader, the writer only when the mode allows it, and strict-reader with
 * every reader down fails by the deadline.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  type FailoverVersion,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

/** A reader connection through the reader endpoint (mode reader-or-writer by default there). */
async function onReader(
  cluster: MemoryCluster,
  version: FailoverVersion,
  options: Record<string, unknown> = {},
) {
  const client = await connectedClient(cluster, {
    host: cluster.readerEndpoint,
    plugins: [version],
    options,
  });
  expect(client.instance()).toBe('instance-2');
  cluster.instance('instance-2').queryMode = 'silent';
  const call = outcome(client.query('SELECT 1'));
  await Promise.resolve();
  return { client, call };
}

function down(cluster: MemoryCluster, id: string): void {
  cluster.instance(id).connectMode = 'refuse';
  cluster.reset(id);
}

describe.each<FailoverVersion>(['failover', 'failover2'])('reader failover (%s)', (version) => {
  it('a failed reader is replaced by the other reader, not the writer', async () => {
    const cluster = new MemoryCluster();
    // The outcome of today's reader failover; with retryReadsOnFailover the read is sent again
    // on the replacement instead (read-resend.test.ts).
    const { client, call } = await onReader(cluster, version, { retryReadsOnFailover: false });
    down(cluster, 'instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-3');
  });

  it('every reader down: the writer, in reader-or-writer mode', async () => {
    const cluster = new MemoryCluster();
    const { client, call } = await onReader(cluster, version);
    down(cluster, 'instance-2');
    down(cluster, 'instance-3');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-1');
  });

  it('every reader down in strict-reader mode (three instances): FailoverFailedError by failoverTimeoutMs, the writer never taken', async () => {
    const cluster = new MemoryCluster();
    const failoverTimeoutMs = 200;
    const { client, call } = await onReader(cluster, version, {
      failoverMode: 'strict-reader',
      failoverTimeoutMs,
    });
    const t0 = Date.now();
    down(cluster, 'instance-2');
    down(cluster, 'instance-3');
    expect(errorOf(await call)).toBeInstanceOf(FailoverFailedError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(failoverTimeoutMs - 5);
    expect(client.failed).toHaveLength(1);
    expect(client.switches).toHaveLength(0);
  });
});
