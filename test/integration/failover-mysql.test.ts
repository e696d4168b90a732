/**
 * Failover plugin v1 on a real MariaDB cluster through `aurora-ha/mysql2/promise` (the emulator:
 * GTID + semi-sync replication, Aurora MySQL metadata, fault proxies). Every failover outcome
 * (ARCHITECTURE.md › Failover outcomes) is reached for real: a crashed writer, a crash inside a
 * transaction, a read-only write, resets / refusals, a cluster that stays unreachable; then no
 * session opened during failover may be left on any instance, and no acknowledged insert may be
 * lost across failovers.
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
import type { PluginFactory } from '../../src/connection/plugin.js';
import { createConnection as createCallbackConnection } from '../../src/mysql2.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import {
  FAST_FAILOVER as FAST,
  failoverHarness,
  rejection,
  expectBlindConnectionFailsOver,
  topologyBlindFailover,
  writerId,
} from '../support/failover-harness.js';

const harness = failoverHarness<PromiseConnection>('mysql', 3);
const { cluster, onFreshCluster } = harness;

/** A client of the failover (v1) plugin: pinned, so the file tests v1 whatever the default. */
function client(
  host: string | undefined,
  options: Record<string, unknown> = {},
  factories?: readonly PluginFactory[],
): PromiseConnection {
  return harness.track(
    new PromiseConnection(
      { ...mysqlConfig(cluster(), host), plugins: ['failover'], ...FAST, ...options },
      factories,
    ),
  );
}

async function rows(
  c: PromiseConnection,
  sql: string,
  values?: unknown[],
): Promise<Record<string, unknown>[]> {
  const [r] = (await c.query(sql, values)) as [Record<string, unknown>[], unknown];
  return r;
}

async function instanceId(c: PromiseConnection): Promise<string> {
  return String((await rows(c, 'SELECT @@aurora_server_id AS id'))[0]!.id);
}

/** Whether the instance is a read-only replica. */
async function inRecovery(c: PromiseConnection): Promise<boolean> {
  return Number((await rows(c, 'SELECT @@innodb_read_only AS r'))[0]!.r) === 1;
}

describe('failover plugin on MariaDB (mysql2/promise)', () => {
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
      const c = client(undefined);
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
      expect((errors[0] as FailoverSuccessError).cause).toBeDefined();
      expect(await instanceId(c)).toBe(newWriter);
      expect(await inRecovery(c)).toBe(false);
      console.log(`[failover-mysql] writer failover after promotion: ${elapsed} ms`);
    }));

  it('writer crash inside a transaction: TransactionResolutionUnknownError, transaction not applied', async () =>
    onFreshCluster(3, async () => {
      const setup = client(undefined);
      await setup.connect();
      await setup.query('CREATE TABLE IF NOT EXISTS fo_tx (k VARCHAR(64) PRIMARY KEY)');
      await setup.end();
      const c = client(undefined);
      await c.connect();
      await c.beginTransaction();
      await c.query("INSERT INTO fo_tx VALUES ('before-crash')");
      const { newWriter } = await cluster().failover();
      const err = await rejection(c.query("INSERT INTO fo_tx VALUES ('after-crash')"));
      expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
      expect(await instanceId(c)).toBe(newWriter);
      const r = await rows(c, "SELECT COUNT(*) AS n FROM fo_tx WHERE k IN ('before-crash', 'after-crash')");
      expect(Number(r[0]!.n)).toBe(0);
      // The connection is usable for a restarted transaction.
      await c.beginTransaction();
      await c.query("INSERT INTO fo_tx VALUES ('restarted')");
      await c.commit();
    }));

  it('switchover: the demoted writer is left for the new one in strict-writer mode', async () =>
    onFreshCluster(3, async () => {
      const setup = client(undefined);
      await setup.connect();
      await setup.query('CREATE TABLE IF NOT EXISTS fo_sw (k VARCHAR(64) PRIMARY KEY)');
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
    await setup.query('CREATE TABLE IF NOT EXISTS fo_ro (k VARCHAR(64) PRIMARY KEY)');
    await setup.end();
    // An instance URL defaults to strict-writer.
    const c = client(reader.host);
    await c.connect();
    expect(await inRecovery(c)).toBe(true);
    // Refused with 1290 / 1836 (it did not apply); after the move it is sent again, once (PRIMARY KEY).
    const [r] = (await c.query("INSERT INTO fo_ro VALUES ('x')")) as [{ affectedRows: number }, unknown];
    expect(r.affectedRows).toBe(1);
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

  it('keepSessionStateOnFailover restores the schema chosen through changeUser', async () => {
    const kept = client(undefined, { keepSessionStateOnFailover: true });
    const plain = client(undefined);
    for (const c of [kept, plain]) {
      await c.connect();
      await c.changeUser({ database: 'information_schema' });
    }
    const writer = await instanceId(kept);
    cluster().partition(writer, { mode: 'refuse' });
    const healer = setTimeout(() => cluster().heal(writer), 600);
    const errs = await Promise.all([rejection(kept.query('SELECT 1')), rejection(plain.query('SELECT 1'))]);
    clearTimeout(healer);
    for (const e of errs) expect(e).toBeInstanceOf(FailoverSuccessError);
    expect((await rows(kept, 'SELECT DATABASE() AS db'))[0]!.db).toBe('information_schema');
    expect((await rows(plain, 'SELECT DATABASE() AS db'))[0]!.db).toBe(cluster().credentials.database);
  });

  it('callback API (aurora-ha/mysql2): the callback receives FailoverSuccessError and the next call works', async () => {
    const conn = createCallbackConnection({ ...mysqlConfig(cluster()), ...FAST });
    const ask = (sql: string): Promise<Record<string, unknown>[]> =>
      new Promise((resolve, reject) => {
        conn.query(sql, undefined, (err: Error | null, result?: unknown) =>
          err ? reject(err) : resolve(result as Record<string, unknown>[]),
        );
      });
    try {
      await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
      const writer = String((await ask('SELECT @@aurora_server_id AS id'))[0]!.id);
      cluster().partition(writer, { mode: 'refuse' });
      const healer = setTimeout(() => cluster().heal(writer), 600);
      const err = await rejection(ask('SELECT 1'));
      clearTimeout(healer);
      expect(err).toBeInstanceOf(FailoverSuccessError);
      expect(String((await ask('SELECT @@aurora_server_id AS id'))[0]!.id)).toBe(writer);
    } finally {
      await new Promise<void>((resolve) => conn.end(() => resolve()));
    }
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
              insert: (k, w) => c.query('INSERT IGNORE INTO fo_writes VALUES (?, ?)', [k, w]),
              keys: async () => (await rows(c, 'SELECT k FROM fo_writes')).map((row) => String(row.k)),
              end: () => c.end(),
            };
          },
          'CREATE TABLE IF NOT EXISTS fo_writes (k VARCHAR(64) PRIMARY KEY, worker INT)',
        ),
      ),
    TWO_FAILOVERS_TIMEOUT_MS,
  );
});
