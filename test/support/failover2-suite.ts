/**
 * Failover v2 on the emulator, one body for both engines (failover2-pg / failover2-mysql test files
 * give the engine's client and SQL): every failover outcome (ARCHITECTURE.md › Failover outcomes)
 * through the shared topology monitor, the monitor's sharing and lifetime (one per cluster, closed
 * after the last connection), a writer that comes back before any promotion, and a dead cluster
 * that is not probed forever.
 */
import { expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import {
  FailoverFailedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import { liveMonitorKeys, MONITOR_LINGER_MS, monitorOf } from '../../src/topology/topology-monitors.js';
import { startTestCluster } from './cluster.js';
import { FAST_FAILOVER, failoverHarness, rejection, writerId } from './failover-harness.js';

/** What the suite needs from one engine's aurora-ha client. */
export interface V2Client {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

export interface EngineOps<C extends V2Client> {
  readonly engine: 'postgres' | 'mysql';
  /** A client of `cluster` (writer endpoint unless `host`), not connected, not tracked. */
  make(cluster: EmulatedCluster, host: string | undefined, options: Record<string, unknown>): C;
  run(c: C, sql: string): Promise<unknown>;
  instanceId(c: C): Promise<string>;
  isReader(c: C): Promise<boolean>;
  /** `SELECT count(*)` of a one-column query, as a number. */
  count(c: C, sql: string): Promise<number>;
  /** DDL of a one-text-column table `name (k)`. */
  createTable(name: string): string;
  /** The writer's instance id as the instance behind `c` reports the topology (maybe stale). */
  topologyWriter(c: C): Promise<string>;
}

export const V2 = { ...FAST_FAILOVER, plugins: ['failover2'] };

export function failover2Suite<C extends V2Client>(ops: EngineOps<C>): void {
  const harness = failoverHarness<C>(ops.engine, 3);
  const { cluster, onFreshCluster } = harness;
  const client = (host?: string, options: Record<string, unknown> = {}): C =>
    harness.track(ops.make(cluster(), host, { ...V2, ...options }));

  /** Wait until `cond` holds, polling every 50 ms, at most `ms`. */
  async function eventually(cond: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  }

  it('writer crash: calls outside a transaction get FailoverSuccessError, a transaction TransactionResolutionUnknownError; one monitor search for all', async () =>
    onFreshCluster(3, async () => {
      const setup = client();
      await setup.connect();
      await ops.run(setup, ops.createTable('v2_tx'));
      const a = client();
      const b = client();
      const tx = client();
      await Promise.all([a.connect(), b.connect(), tx.connect()]);
      expect(liveMonitorKeys()).toHaveLength(1);
      const monitor = monitorOf(liveMonitorKeys()[0]!)!;
      const oldWriter = await ops.instanceId(a);
      await ops.run(tx, 'BEGIN');
      await ops.run(tx, "INSERT INTO v2_tx VALUES ('before-crash')");
      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);
      const outcomes = await Promise.allSettled([
        ops.run(a, 'SELECT 1'),
        ops.run(a, 'SELECT 2'),
        ops.run(b, 'SELECT 3'),
        ops.run(tx, "INSERT INTO v2_tx VALUES ('after-crash')"),
      ]);
      const errors = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
      for (const e of errors.slice(0, 3)) expect(e).toBeInstanceOf(FailoverSuccessError);
      expect(errors[3]).toBeInstanceOf(TransactionResolutionUnknownError);
      expect((errors[0] as FailoverSuccessError).cause).toBeDefined();
      expect(new Set(errors.map((e) => (e as FailoverSuccessError).newHost)).size).toBe(1);
      // Three connections failing together: the monitor searched once.
      expect(monitor.searches).toBe(1);
      for (const c of [a, b, tx]) {
        expect(await ops.instanceId(c)).toBe(newWriter);
        expect(await ops.isReader(c)).toBe(false);
      }
      expect(
        await ops.count(a, "SELECT count(*) AS n FROM v2_tx WHERE k IN ('before-crash', 'after-crash')"),
      ).toBe(0);
      await ops.run(tx, 'BEGIN');
      await ops.run(tx, "INSERT INTO v2_tx VALUES ('restarted')");
      await ops.run(tx, 'COMMIT');
    }));

  it('a reader holding the old topology after promotion does not mislead the monitor', async () =>
    onFreshCluster(3, async () => {
      const c = client();
      await c.connect();
      const monitor = monitorOf(liveMonitorKeys()[0]!)!;
      const oldWriter = await ops.instanceId(c);
      const stale = cluster()
        .instances()
        .find((i) => i.role === 'reader')!;
      await cluster().hold(stale.id);
      const { newWriter } = await cluster().failover();
      expect([oldWriter, stale.id]).not.toContain(newWriter);
      // The held reader really does report the old writer (the trap is set).
      const spy = harness.track(ops.make(cluster(), stale.host, { plugins: [] }));
      await spy.connect();
      expect(await ops.topologyWriter(spy)).toBe(oldWriter);
      const err = await rejection(ops.run(c, 'SELECT 1'));
      expect(err).toBeInstanceOf(FailoverSuccessError);
      expect(await ops.instanceId(c)).toBe(newWriter);
      expect(await ops.isReader(c)).toBe(false);
      // Through the high-rate refreshes that follow, the monitor's writer stays the verified one.
      const writers = new Set<string | undefined>();
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        writers.add(monitor.hosts().find((h) => h.role === 'writer')?.instanceId);
        writers.add(monitor.writer()?.instanceId);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect([...writers]).toEqual([newWriter]);
      expect(await ops.topologyWriter(spy)).toBe(oldWriter);
      await spy.end();
      await cluster().release(stale.id);
    }));

  it('switchover: the demoted writer (read-only error, confirmed by the instance) is left for the new writer', async () => {
    const setup = client();
    await setup.connect();
    await ops.run(setup, ops.createTable('v2_sw'));
    const c = client();
    await c.connect();
    const oldWriter = await ops.instanceId(c);
    const { newWriter } = await cluster().switchover();
    expect(newWriter).not.toBe(oldWriter);
    const err = await rejection(ops.run(c, "INSERT INTO v2_sw VALUES ('after-switchover')"));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await ops.instanceId(c)).toBe(newWriter);
    await ops.run(c, "INSERT INTO v2_sw VALUES ('after-switchover')");
    // The shared cluster serves the next tests: wait until the demoted writer is a reader again.
    await cluster().settled();
  });

  it('a write on a reader instance (strict-writer by default) moves to the writer and is sent again there (issue 20)', async () => {
    const setup = client();
    await setup.connect();
    await ops.run(setup, ops.createTable('v2_ro'));
    const reader = cluster()
      .instances()
      .find((i) => i.role === 'reader')!;
    const c = client(reader.host);
    await c.connect();
    expect(await ops.isReader(c)).toBe(true);
    // The reader refused it (read-only: it did not apply); after the move it is sent again.
    await ops.run(c, "INSERT INTO v2_ro VALUES ('x')");
    expect(await ops.isReader(c)).toBe(false);
    expect(await ops.instanceId(c)).toBe(writerId(cluster()));
    expect(await ops.count(c, "SELECT count(*) AS n FROM v2_ro WHERE k = 'x'")).toBe(1);
  });

  it('reader-or-writer (reader endpoint default): a reset reader fails over to another reader, the read sent again there', async () => {
    const c = client(cluster().readerEndpoint.host);
    await c.connect();
    const before = await ops.instanceId(c);
    if (!(await ops.isReader(c))) throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    // Sent again on the new reader (retryReadsOnFailover): its own answer, no error.
    const answeredBy = await ops.instanceId(c);
    expect(answeredBy).not.toBe(before);
    expect(await ops.instanceId(c)).toBe(answeredBy);
    expect(await ops.isReader(c)).toBe(true);
  });

  it('strict-reader: a reader that refuses fails over to the other reader, never the writer', async () => {
    const c = client(cluster().readerEndpoint.host, { failoverMode: 'strict-reader' });
    await c.connect();
    const before = await ops.instanceId(c);
    if (!(await ops.isReader(c))) throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'refuse' });
    // Sent again on the other reader (retryReadsOnFailover): its own answer, no error.
    const answeredBy = await ops.instanceId(c);
    const after = await ops.instanceId(c);
    expect(answeredBy).toBe(after);
    expect(after).not.toBe(before);
    expect(after).not.toBe(writerId(cluster()));
    expect(await ops.isReader(c)).toBe(true);
  });

  it('a writer that comes back before any reader is promoted is verified and accepted again', async () => {
    const c = client();
    await c.connect();
    const writer = await ops.instanceId(c);
    cluster().partition(writer, { mode: 'refuse' });
    const healer = setTimeout(() => cluster().heal(writer), 800);
    const err = await rejection(ops.run(c, 'SELECT 1'));
    clearTimeout(healer);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await ops.instanceId(c)).toBe(writer);
    expect(await ops.isReader(c)).toBe(false);
  });

  it('nothing reachable within failoverTimeoutMs: FailoverFailedError, the connection stays unusable, the monitor stops probing', async () => {
    const c = client(undefined, { failoverTimeoutMs: 1_500 });
    await c.connect();
    const monitor = monitorOf(liveMonitorKeys()[0]!)!;
    for (const i of cluster().instances()) cluster().partition(i.id, { mode: 'refuse' });
    const started = Date.now();
    const err = await rejection(ops.run(c, 'SELECT 1'));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(FailoverFailedError);
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(6_000);
    // Nobody waits any more: a dead cluster is not probed on and on.
    await eventually(() => !monitor.searching, 2_000);
    expect(monitor.searching).toBe(false);
    for (const i of cluster().instances()) cluster().heal(i.id);
    expect(await rejection(ops.run(c, 'SELECT 1'))).toBeInstanceOf(FailoverFailedError);
  });

  it('one monitor for 100 connections of one cluster through every kind of endpoint, two for two clusters, none after the last end()', async () => {
    const c0 = cluster();
    const reader = c0.instances().find((i) => i.role === 'reader')!;
    const hosts = [c0.writerEndpoint.host, c0.readerEndpoint.host, reader.host];
    const many = Array.from({ length: 100 }, (_, i) => client(hosts[i % hosts.length]));
    // In batches: a hundred handshakes at once time out on a loaded 2-core machine.
    for (let i = 0; i < many.length; i += 20)
      await Promise.all(many.slice(i, i + 20).map((c) => c.connect()));
    expect(liveMonitorKeys()).toHaveLength(1);
    const other = await startTestCluster({ engine: ops.engine, instances: 1 });
    try {
      const o = ops.make(other, undefined, V2);
      await o.connect();
      expect(liveMonitorKeys()).toHaveLength(2);
      await o.end();
      await Promise.all(many.map((c) => c.end()));
      // Closed a linger after the last connection of each cluster ended.
      await eventually(() => liveMonitorKeys().length === 0, MONITOR_LINGER_MS + 3_000);
      expect(liveMonitorKeys()).toEqual([]);
    } finally {
      await other.stop();
    }
  });
}
