/**
 * The failover base (src/plugins/failover-core/failover-plugin-base.ts) over the in-memory
 * driver, through a real LogicalConnection and the real v1 plugin: which failures start a
 * failover, calls failing together sharing one, the budget turning into FailoverFailedError,
 * the outcome inside a transaction, an idle loss, end() during a failover. Two races: calls
 * failing together while the topology must be learnt late (fix eccad97), and the role check
 * after a read-only error inside a transaction whose failed state pg has not reported yet
 * (fix e6787d8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  FailoverFailedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import { AURORA_PG } from '../../src/dialects/sql.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  sqlError,
} from '../support/memory-driver/index.js';

afterEach(endAllClients);

const INSERT = 'INSERT INTO t VALUES (1)';

describe('failover base: what starts a failover', () => {
  it('a network error (the writer reset) moves the connection to the new writer: FailoverSuccessError', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    expect(client.instance()).toBe('instance-1');
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.failover('instance-2', { staleReaders: false });
    const r = await call;
    expect(r.ok).toBe(false);
    const err = errorOf(r);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect((err as FailoverSuccessError).newHost).toBe(`${cluster.hostOf('instance-2')}:5432`);
    expect((err as FailoverSuccessError).statementSent).toBe(true);
    expect(client.instance()).toBe('instance-2');
    expect(client.switches).toHaveLength(1);
    await expect(client.query('SELECT 1')).resolves.toEqual([[1]]);
  });

  it.each([
    ['a plain SQL error (42601)', sqlError('42601', 'syntax error')],
    ['a login error (28P01)', sqlError('28P01', 'password authentication failed')],
    ['too many connections (53300)', sqlError('53300', 'too many clients')],
  ])('%s is the caller’s: the raw error, no move', async (_what, error) => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const r = await outcome(client.lc.execute('query', () => Promise.reject(error)));
    expect(r).toEqual({ ok: false, error });
    expect(client.switches).toHaveLength(0);
    expect(cluster.count('connect')).toBe(1);
  });

  it('a read-only error on an instance that still says it is the writer is the user’s own: raw 25006, no move', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    cluster.instance('instance-1').userReadOnly = true;
    const r = await outcome(client.query(INSERT));
    expect(r.ok).toBe(false);
    expect((errorOf(r) as { code?: string }).code).toBe('25006');
    expect(client.switches).toHaveLength(0);
  });

  it('a read-only error from a demoted writer (switchover) moves, and the write is sent again on the new writer', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    cluster.promote('instance-3');
    await expect(client.query(INSERT)).resolves.toEqual([[1]]);
    expect(client.instance()).toBe('instance-3');
    expect(client.switches).toHaveLength(1);
    // Sent twice in all: refused on instance-1, applied on instance-3.
    const inserts = cluster.events.filter((e) => e.what === 'query' && e.detail === INSERT);
    expect(inserts.map((e) => e.instance)).toEqual(['instance-1', 'instance-3']);
  });

  it('a read-only error in reader-or-writer mode is never a trigger', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster, {
      host: cluster.readerEndpoint,
    });
    expect(cluster.instance(client.instance()).role).toBe('reader');
    const r = await outcome(client.query(INSERT));
    expect((errorOf(r) as { code?: string }).code).toBe('25006');
    expect(client.switches).toHaveLength(0);
  });

  it('enableFailover: false: a network error is the raw error', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster, { options: { enableFailover: false } });
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.reset('instance-1');
    const r = await call;
    expect((errorOf(r) as { code?: string }).code).toBe('ECONNRESET');
    expect(client.switches).toHaveLength(0);
  });
});

describe('failover base: calls failing together, budget, transaction, idle loss, end()', () => {
  it('five calls failing on one connection share one failover: one switch, each gets the outcome', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    cluster.instance('instance-1').queryMode = 'silent';
    const calls = Array.from({ length: 5 }, () => outcome(client.query('SELECT 1')));
    await Promise.resolve();
    cluster.failover('instance-2', { staleReaders: false });
    const results = await Promise.all(calls);
    for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.switches).toHaveLength(1);
    // One writer connection for the move (plus whatever the search probed, all closed again).
    expect(cluster.openConnections()).toBe(1);
  });

  it('no replacement within failoverTimeoutMs: FailoverFailedError by the deadline, and the connection stays unusable', async () => {
    const cluster = new MemoryCluster();
    const timeoutMs = 150;
    const client = await connectedClient(cluster, { options: { failoverTimeoutMs: timeoutMs } });
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    const started = Date.now();
    cluster.killAll();
    const r = await call;
    const took = Date.now() - started;
    expect(errorOf(r)).toBeInstanceOf(FailoverFailedError);
    // Answered by the deadline: not before it (instances kept refusing), not long after
    // (a generous allowance for a loaded machine; the budget has one timer).
    expect(took).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(took).toBeLessThan(timeoutMs + 1_500);
    expect(client.failed).toHaveLength(1);
    cluster.heal('instance-2');
    const later = await outcome(client.query('SELECT 1'));
    expect(errorOf(later)).toBeInstanceOf(FailoverFailedError);
    expect((errorOf(later) as Error).message).toMatch(/earlier failover failed/);
  });

  it('inside a transaction: TransactionResolutionUnknownError, a ROLLBACK attempted, the connection moved', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    await client.query('BEGIN');
    expect(client.lc.service.inTransaction()).toBe(true);
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query(INSERT));
    await Promise.resolve();
    cluster.failover('instance-2', { staleReaders: false });
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(TransactionResolutionUnknownError);
    expect(client.instance()).toBe('instance-2');
    expect(client.lc.service.inTransaction()).toBe(false);
  });

  it('a connection lost while idle: the next call is not sent, it fails over with statementSent false', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const lost = client.current();
    cluster.failover('instance-2', { staleReaders: false });
    expect(lost.closed).toBe(true);
    const r = await outcome(client.query(INSERT));
    const err = errorOf(r);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect((err as FailoverSuccessError).statementSent).toBe(false);
    expect(lost.statements).not.toContain(INSERT);
    expect(client.instance()).toBe('instance-2');
  });

  it('end() during a failover: FailoverFailedError saying the connection was ended', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster, { options: { failoverTimeoutMs: 5_000 } });
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.killAll();
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await client.end();
    const r = await call;
    expect(errorOf(r)).toBeInstanceOf(FailoverFailedError);
    expect((errorOf(r) as Error).message).toMatch(/ended/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('failover base: races', () => {
  it('three calls failing together while the topology must be learnt late: one late read, one failover (eccad97)', async () => {
    const cluster = new MemoryCluster();
    // At connect every instance's metadata names no writer (a cluster between writers): the
    // topology is rejected and the connection opens without one.
    const noWriter = cluster.truth().map((r) => ({ ...r, isWriter: false }));
    for (const i of cluster.instances) i.view = noWriter;
    const client = await connectedClient(cluster);
    expect(client.lc.service.hosts()).toEqual([]);
    cluster.thawViews();
    const endpointConnects = client.driver.connectsTo.get(`${cluster.endpoint}:5432`) ?? 0;
    cluster.instance('instance-1').queryMode = 'silent';
    const calls = [1, 2, 3].map(() => outcome(client.query('SELECT 1')));
    await Promise.resolve();
    cluster.failover('instance-2', { staleReaders: false });
    const results = await Promise.all(calls);
    for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
    expect(client.switches).toHaveLength(1);
    // The late read went through one short connection to the endpoint, shared by the three.
    expect((client.driver.connectsTo.get(`${cluster.endpoint}:5432`) ?? 0) - endpointConnects).toBe(1);
  });

  it('a read-only error inside a transaction whose failed state pg has not reported yet: the role is asked on a separate connection (fix e6787d8)', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    await client.query('BEGIN');
    // pg hands the ErrorResponse (25006) to the caller before the ReadyForQuery 'E' arrives:
    // for a moment the session looks healthy, but the server answers everything with 25P02.
    cluster.instance('instance-1').readyForQueryLagMs = 200;
    cluster.promote('instance-2');
    const failing = client.current();
    const r = await outcome(client.query(INSERT));
    expect(errorOf(r)).toBeInstanceOf(TransactionResolutionUnknownError);
    expect(client.instance()).toBe('instance-2');
    // The failing session itself was never asked (it would have answered 25P02: no answer).
    expect(failing.statements).not.toContain(AURORA_PG.writerCheck);
    // A separate connection to instance-1 was, and it said "not the writer".
    const onOld = cluster.events.filter(
      (e) => e.what === 'query' && e.instance === 'instance-1' && e.detail === AURORA_PG.writerCheck,
    );
    expect(onOld.length).toBeGreaterThan(0);
  });

  it('a call sent on the old connection whose error arrives after the move: the failover outcome, not the raw error (fix ea2b1dd)', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster);
    const old = client.current();
    // Call B is on the old connection; its driver reports a code-less error only after the
    // move (pg's query_timeout, "Query read timeout"), when the current connection is healthy.
    let failB!: (err: Error) => void;
    const b = outcome(
      client.lc.execute(
        'query',
        () =>
          new Promise<unknown[][]>((_, reject) => {
            failB = reject;
          }),
      ),
    );
    cluster.instance('instance-1').queryMode = 'silent';
    const a = outcome(client.query('SELECT 1'));
    await Promise.resolve();
    cluster.failover('instance-2', { staleReaders: false });
    expect(errorOf(await a)).toBeInstanceOf(FailoverSuccessError);
    expect(client.current()).not.toBe(old);
    failB(new Error('Query read timeout'));
    const rb = await b;
    expect(errorOf(rb)).toBeInstanceOf(FailoverSuccessError);
    expect(client.switches).toHaveLength(1);
  });
});
