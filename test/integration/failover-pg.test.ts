/**
 * Failover plugin v1 on a real PostgreSQL cluster (the emulator: streaming replication, Aurora
 * metadata, fault proxies). Every failover outcome (ARCHITECTURE.md › Failover outcomes) is reached
 * for real: a crashed writer, a crash inside a transaction, a read-only write, resets / refusals, a
 * cluster that stays unreachable; then no session opened during failover may be left on any
 * instance, and no acknowledged insert may be lost across failovers.
 */
import { describe, expect, it } from 'vitest';
import { TWO_FAILOVERS_TIMEOUT_MS, expectNoLostWritesAcrossTwoFailovers } from '../support/two-failovers.js';
import {
  ConfigurationError,
  FailoverError,
  FailoverFailedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import type { PluginFactory, PluginService } from '../../src/connection/plugin.js';
import { Client } from '../../src/pg.js';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { pgConfig } from '../support/cluster.js';
import {
  FAST_FAILOVER as FAST,
  failoverHarness,
  rejection,
  expectBlindConnectionFailsOver,
  topologyBlindFailover,
  writerId,
} from '../support/failover-harness.js';

const harness = failoverHarness<Client>('postgres', 3);
const { cluster, onFreshCluster } = harness;

/** A client of the failover (v1) plugin: pinned, so the file tests v1 whatever the default. */
function client(
  host: string | undefined,
  options: Record<string, unknown> = {},
  factories?: readonly PluginFactory[],
): Client {
  return harness.track(
    new Client({ ...pgConfig(cluster(), host), plugins: ['failover'], ...FAST, ...options }, factories),
  );
}

/**
 * The real failover plugin, seeing a service whose setCurrentConnection is counted: every
 * completed failover switches the logical connection exactly once.
 */
function countingFailover(): { factories: PluginFactory[]; switches: () => number } {
  let switches = 0;
  const factory: PluginFactory = {
    ...failoverPluginFactory,
    create: (service: PluginService) =>
      failoverPluginFactory.create(
        new Proxy(service, {
          get(target, key) {
            const value: unknown = Reflect.get(target, key, target);
            if (key === 'setCurrentConnection') {
              return (...args: Parameters<PluginService['setCurrentConnection']>) => {
                switches++;
                return target.setCurrentConnection(...args);
              };
            }
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        }),
      ),
  };
  return { factories: [factory], switches: () => switches };
}

async function instanceId(c: Client): Promise<string> {
  const r = await c.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
  return r.rows[0]!.id;
}

async function inRecovery(c: Client): Promise<boolean> {
  const r = await c.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r');
  return r.rows[0]!.r;
}

describe('failover plugin on PostgreSQL', () => {
  it('rejects an IP address without clusterInstanceHostPattern at connect time', async () => {
    const writer = cluster()
      .instances()
      .find((i) => i.role === 'writer')!;
    const c = client(writer.address);
    const started = Date.now();
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('clusterInstanceHostPattern');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('accepts an IP address with clusterInstanceHostPattern', async () => {
    const writer = cluster()
      .instances()
      .find((i) => i.role === 'writer')!;
    const c = client(writer.address, { clusterInstanceHostPattern: cluster().instanceHostPattern });
    await c.connect();
    expect(await instanceId(c)).toBe(writer.id);
  });

  it('surfaces the raw driver error when enableFailover is false', async () => {
    const c = client(undefined, { enableFailover: false });
    await c.connect();
    const id = await instanceId(c);
    cluster().partition(id, { mode: 'reset' });
    const err = await rejection(c.query('SELECT 1'));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(FailoverError);
  });

  it('writer crash outside a transaction: FailoverSuccessError, then the next query runs on the new writer', async () =>
    onFreshCluster(3, async () => {
      const counted = countingFailover();
      const c = client(undefined, {}, counted.factories);
      await c.connect();
      const oldWriter = await instanceId(c);
      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);
      const started = Date.now();
      // Three calls fail together on the dead connection: one failover, three outcomes.
      const outcomes = await Promise.allSettled([
        c.query('SELECT 1'),
        c.query('SELECT 2'),
        c.query('SELECT 3'),
      ]);
      const elapsed = Date.now() - started;
      const errors = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
      for (const e of errors) expect(e).toBeInstanceOf(FailoverSuccessError);
      const hosts = new Set(errors.map((e) => (e as FailoverSuccessError).newHost));
      expect(hosts.size).toBe(1);
      expect(counted.switches()).toBe(1);
      expect((errors[0] as FailoverSuccessError).cause).toBeDefined();
      expect(await instanceId(c)).toBe(newWriter);
      expect(await inRecovery(c)).toBe(false);
      console.log(`[failover-pg] writer failover after promotion: ${elapsed} ms`);
    }));

  it('writer crash inside a transaction: TransactionResolutionUnknownError, transaction not applied', async () =>
    onFreshCluster(3, async () => {
      const setup = client(undefined);
      await setup.connect();
      await setup.query('CREATE TABLE IF NOT EXISTS fo_tx (k text PRIMARY KEY)');
      await setup.end();
      const c = client(undefined);
      await c.connect();
      await c.query('BEGIN');
      await c.query("INSERT INTO fo_tx VALUES ('before-crash')");
      const { newWriter } = await cluster().failover();
      const err = await rejection(c.query("INSERT INTO fo_tx VALUES ('after-crash')"));
      expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
      expect(await instanceId(c)).toBe(newWriter);
      const r = await c.query(
        "SELECT count(*)::int AS n FROM fo_tx WHERE k IN ('before-crash', 'after-crash')",
      );
      expect(r.rows[0]!.n).toBe(0);
      // The connection is usable for a restarted transaction.
      await c.query('BEGIN');
      await c.query("INSERT INTO fo_tx VALUES ('restarted')");
      await c.query('COMMIT');
    }));

  it('switchover: the demoted writer is left for the new one in strict-writer mode', async () =>
    onFreshCluster(3, async () => {
      const setup = client(undefined);
      await setup.connect();
      await setup.query('CREATE TABLE IF NOT EXISTS fo_sw (k text PRIMARY KEY)');
      await setup.end();
      const c = client(undefined);
      await c.connect();
      const oldWriter = await instanceId(c);
      const { newWriter } = await cluster().switchover();
      expect(newWriter).not.toBe(oldWriter);
      const err = await rejection(c.query("INSERT INTO fo_sw VALUES ('after-switchover')"));
      expect(err).toBeInstanceOf(FailoverSuccessError);
      expect((err as FailoverSuccessError).cause).toBeDefined();
      expect(await instanceId(c)).toBe(newWriter);
      await c.query("INSERT INTO fo_sw VALUES ('after-switchover')");
    }));

  it('a write on a read-only instance fails over to the writer in strict-writer mode, and is sent again there (issue 20)', async () => {
    const c0 = cluster();
    const reader = c0.instances().find((i) => i.role === 'reader')!;
    const setup = client(undefined);
    await setup.connect();
    await setup.query('CREATE TABLE IF NOT EXISTS fo_ro (k text PRIMARY KEY)');
    await setup.end();
    // An instance URL defaults to strict-writer.
    const c = client(reader.host);
    await c.connect();
    expect(await inRecovery(c)).toBe(true);
    // Refused with 25006 (it did not apply); after the move it is sent again, once (PRIMARY KEY).
    const r = await c.query("INSERT INTO fo_ro VALUES ('x') RETURNING k");
    expect(r.rows).toEqual([{ k: 'x' }]);
    expect(await inRecovery(c)).toBe(false);
    expect(await instanceId(c)).toBe(writerId(c0));
  });

  it('reader-or-writer (reader cluster endpoint default): a reset reader fails over to another reader, the read is sent again there (retryReadsOnFailover)', async () => {
    const c = client(cluster().readerEndpoint.host);
    await c.connect();
    const before = await instanceId(c);
    if (!(await inRecovery(c))) throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    // The read's own answer names the instance it ran on: the new reader, no error.
    const answeredBy = await instanceId(c);
    expect(answeredBy).not.toBe(before);
    expect(answeredBy).not.toBe(writerId(cluster()));
    expect(await instanceId(c)).toBe(answeredBy);
    expect(await inRecovery(c)).toBe(true);
  });

  it('retryReadsOnFailover: false: a reset reader fails over to another reader, the read ends in FailoverSuccessError', async () => {
    const c = client(cluster().readerEndpoint.host, { retryReadsOnFailover: false });
    await c.connect();
    const before = await instanceId(c);
    if (!(await inRecovery(c))) throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    const err = await rejection(c.query('SELECT 1'));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await instanceId(c)).not.toBe(before);
    expect(await inRecovery(c)).toBe(true);
  });

  it('strict-reader: a crashed reader fails over to the other reader, never the writer', async () =>
    onFreshCluster(3, async () => {
      const c = client(cluster().readerEndpoint.host, { failoverMode: 'strict-reader' });
      await c.connect();
      const before = await instanceId(c);
      await cluster().crash(before);
      // Sent again on the other reader (retryReadsOnFailover): its answer, no error.
      const answeredBy = await instanceId(c);
      const after = await instanceId(c);
      expect(answeredBy).toBe(after);
      expect(after).not.toBe(before);
      expect(after).not.toBe(writerId(cluster()));
      expect(await inRecovery(c)).toBe(true);
    }));

  it('reader failover does not wait for a silent (blackholed) reader: attempts run in parallel, the loser is cancelled', async () =>
    onFreshCluster(4, async () => {
      const c = client(cluster().readerEndpoint.host);
      await c.connect();
      const before = await instanceId(c);
      if (!(await inRecovery(c))) throw new Error('the reader endpoint led to the writer');
      const silent = cluster()
        .instances()
        .find((i) => i.role === 'reader' && i.id !== before)!;
      cluster().partition(silent.id, { mode: 'blackhole' });
      cluster().partition(before, { mode: 'reset' });
      const started = Date.now();
      // Sent again on the reader that answered (retryReadsOnFailover): its answer, no error.
      const answeredBy = await instanceId(c);
      const elapsed = Date.now() - started;
      // Readers are preferred to the writer, two attempts at a time: the answering reader wins
      // without waiting for the silent one's connect timeout (FAST.failoverReaderConnectTimeoutMs).
      const after = await instanceId(c);
      expect(answeredBy).toBe(after);
      expect([before, silent.id, writerId(cluster())]).not.toContain(after);
      expect(await inRecovery(c)).toBe(true);
      expect(elapsed).toBeLessThan(FAST.failoverReaderConnectTimeoutMs);
      cluster().heal(silent.id);
      cluster().heal(before);
    }));

  it('strict-writer on the reader cluster endpoint: a reset reader fails over to the writer', async () => {
    const c = client(cluster().readerEndpoint.host, { failoverMode: 'strict-writer' });
    await c.connect();
    const before = await instanceId(c);
    if (!(await inRecovery(c))) throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    const err = await rejection(c.query('SELECT 1'));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await instanceId(c)).toBe(writerId(cluster()));
    expect(await inRecovery(c)).toBe(false);
  });

  it('topology not learnt at connect (injected): a connection lost in a transaction learns it then and fails over, no raw socket error (issue 9)', async () => {
    const blind = topologyBlindFailover();
    const c = client(undefined, {}, blind.factories);
    const writer = await expectBlindConnectionFailsOver(c, blind, cluster());
    expect(await instanceId(c)).toBe(writer);
  });

  it('refused connections to the writer for a moment: the old writer is reconnected', async () => {
    const c = client(undefined);
    await c.connect();
    const writer = await instanceId(c);
    cluster().partition(writer, { mode: 'refuse' });
    const healer = setTimeout(() => cluster().heal(writer), 600);
    const err = await rejection(c.query('SELECT 1'));
    clearTimeout(healer);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await instanceId(c)).toBe(writer);
  });

  it('no instance reachable within failoverTimeoutMs: FailoverFailedError, and the connection stays unusable', async () => {
    const c = client(undefined, { failoverTimeoutMs: 1_500 });
    await c.connect();
    for (const i of cluster().instances()) cluster().partition(i.id, { mode: 'refuse' });
    const started = Date.now();
    const err = await rejection(c.query('SELECT 1'));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(FailoverFailedError);
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(6_000);
    for (const i of cluster().instances()) cluster().heal(i.id);
    expect(await rejection(c.query('SELECT 1'))).toBeInstanceOf(FailoverFailedError);
  });

  it('enableConnectFailover: a new connection whose endpoint still resolves to the dead writer reaches the new one', async () =>
    onFreshCluster(
      3,
      async () => {
        // An earlier connection of this cluster taught the process its dialect and topology.
        const first = client(undefined);
        await first.connect();
        const old = writerId(cluster());
        const { newWriter } = await cluster().failover();
        // DNS still points at the old writer (60 s lag); keep it unreachable while it is rebuilt.
        cluster().partition(old, { mode: 'refuse' });

        const plain = client(undefined);
        const refused = await rejection(plain.connect());
        expect(refused).not.toBeInstanceOf(FailoverError);
        expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

        const b = client(undefined, { enableConnectFailover: true });
        await b.connect();
        expect(await instanceId(b)).toBe(newWriter);
        expect(await inRecovery(b)).toBe(false);
        cluster().heal(old);
      },
      { dnsLagMs: 60_000 },
    ));

  it(
    'loses no acknowledged insert across two failovers',
    async () =>
      onFreshCluster(4, () =>
        expectNoLostWritesAcrossTwoFailovers(
          cluster,
          () => {
            const c = client(undefined);
            return {
              connect: () => c.connect(),
              run: (sql) => c.query(sql),
              insert: (k, w) =>
                c.query('INSERT INTO fo_writes VALUES ($1, $2) ON CONFLICT DO NOTHING', [k, w]),
              keys: async () =>
                (await c.query<{ k: string }>('SELECT k FROM fo_writes')).rows.map((r) => r.k),
              end: () => c.end(),
            };
          },
          'CREATE TABLE IF NOT EXISTS fo_writes (k text PRIMARY KEY, worker int)',
        ),
      ),
    TWO_FAILOVERS_TIMEOUT_MS,
  );
});
