/**
 * `retryReadsOnFailover` (src/plugins/failover-core/read-resend.ts) over the in-memory driver,
 * through the real plugins (v1 and v2): a read in flight on a reader that dies is sent again on
 * the next reader and its caller gets the rows; a read on a reader lost while idle too; and every
 * case where it must not be sent again ends as before: the option off, a transaction, a session
 * that ran a SET, a writer connection, a replacement that is the writer. Plus the statement
 * classifier (session-statements.ts): what counts as changing the session.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import { touchesSession } from '../../src/connection/session-statements.js';
import {
  MemoryCluster,
  connectedClient,
  sqlError,
  endAllClients,
  errorOf,
  outcome,
  until,
  type FailoverVersion,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 8_000 });
afterEach(endAllClients);

/** What the instance a statement ran on says it is (the dialect's instance-id query). */
const WHO = 'SELECT pg_catalog.aurora_db_instance_identifier()';

/** How many times `sql` was sent to instance `id`. */
function sentTo(cluster: MemoryCluster, id: string, sql: string): number {
  return cluster.events.filter((e) => e.what === 'query' && e.instance === id && e.detail === sql).length;
}

function down(cluster: MemoryCluster, id: string): void {
  cluster.instance(id).connectMode = 'refuse';
  cluster.reset(id);
}

async function readerClient(
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
  return client;
}

/** A read sent on instance-2 that hangs until instance-2 dies. */
async function readInFlight(
  client: Awaited<ReturnType<typeof readerClient>>,
  cluster: MemoryCluster,
  sql = WHO,
) {
  cluster.instance('instance-2').queryMode = 'silent';
  const call = outcome(client.query(sql));
  await until(() => client.current().statements.includes(sql), 'the read sent');
  return call;
}

describe.each<FailoverVersion>(['failover', 'failover2'])('retryReadsOnFailover (%s)', (version) => {
  it('a read in flight on a reader that dies returns the next reader’s rows, no error', async () => {
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version);
    const call = readInFlight(client, cluster);
    down(cluster, 'instance-2');
    const r = await call;
    expect(r).toEqual({ ok: true, value: [['instance-3']] });
    expect(client.instance()).toBe('instance-3');
    expect(client.switches).toHaveLength(1);
  });

  it.each([
    ['at once', false],
    ['after the failover replaced the connection, worded as the driver likes', true],
  ])('a read in flight beside one that fails hears of the abort %s: sent again too', async (_, late) => {
    // The interleaving of a loaded CI run (c252504): one read fails with a network error while
    // a second is still in flight on the same reader connection; the first one's failover moves
    // the connection and aborts the old one, and only then does the second read hear of it, with
    // the abort's code-less error. It must be sent again like the first, not end in
    // FailoverSuccessError.
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version);
    const second = readInFlight(client, cluster);
    const FIRST = 'SELECT 1 AS first';
    const reader = cluster.instance('instance-2');
    reader.connectMode = 'refuse';
    reader.queryError = (sql) => (sql === FIRST ? sqlError('ECONNRESET', 'read ECONNRESET') : undefined);
    reader.abortedCallsLateMs = late ? 50 : 0;
    const first = outcome(client.query(FIRST));
    expect(await first).toEqual({ ok: true, value: [[1]] });
    expect(await second).toEqual({ ok: true, value: [['instance-3']] });
    expect(client.instance()).toBe('instance-3');
    expect(sentTo(cluster, 'instance-3', WHO)).toBe(1);
  });

  it('a read on a reader lost while idle is sent on the next reader', async () => {
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version);
    down(cluster, 'instance-2');
    await until(() => client.current().closed, 'the loss noticed');
    expect(await outcome(client.query(WHO))).toEqual({ ok: true, value: [['instance-3']] });
  });

  it('retryReadsOnFailover: false: FailoverSuccessError as before', async () => {
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version, { retryReadsOnFailover: false });
    const call = readInFlight(client, cluster);
    down(cluster, 'instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-3');
  });

  it('inside a transaction: TransactionResolutionUnknownError, not sent again', async () => {
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version);
    await client.query('BEGIN');
    const call = readInFlight(client, cluster);
    down(cluster, 'instance-2');
    expect(errorOf(await call)).toBeInstanceOf(TransactionResolutionUnknownError);
    expect(sentTo(cluster, 'instance-3', WHO)).toBe(0);
  });

  it('after a SET on the session: FailoverSuccessError (the new session lacks it), not sent again', async () => {
    const cluster = new MemoryCluster({ instances: 4 });
    const client = await readerClient(cluster, version);
    await client.query('SET search_path TO tenant_7');
    const call = readInFlight(client, cluster);
    down(cluster, 'instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    const next = client.instance();
    expect(['instance-3', 'instance-4']).toContain(next);
    expect(sentTo(cluster, next, WHO)).toBe(0);
    // The new session is clean: a read failing on it is sent again, on the last reader.
    const last = next === 'instance-3' ? 'instance-4' : 'instance-3';
    const again = readInFlightOn(client, cluster, next);
    down(cluster, next);
    expect(await again).toEqual({ ok: true, value: [[last]] });
  });

  it('every reader down in reader-or-writer mode: the writer takes the connection, the read is not sent there', async () => {
    const cluster = new MemoryCluster();
    const client = await readerClient(cluster, version);
    const call = readInFlight(client, cluster);
    down(cluster, 'instance-3');
    down(cluster, 'instance-2');
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(client.instance()).toBe('instance-1');
    expect(sentTo(cluster, 'instance-1', WHO)).toBe(0);
  });

  it('never on a writer connection: a statement in flight on the failed writer is not sent again', async () => {
    const cluster = new MemoryCluster();
    const client = await connectedClient(cluster, { plugins: [version] });
    expect(client.instance()).toBe('instance-1');
    cluster.instance('instance-1').queryMode = 'silent';
    const call = outcome(client.query(WHO));
    await until(() => client.current().statements.includes(WHO), 'the statement sent');
    cluster.failover('instance-2');
    cluster.thawViews();
    expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
    expect(sentTo(cluster, 'instance-2', WHO)).toBe(0);
  });
});

/** A read sent on `id` (the client's instance now) that hangs until `id` dies. */
async function readInFlightOn(
  client: Awaited<ReturnType<typeof readerClient>>,
  cluster: MemoryCluster,
  id: string,
) {
  expect(client.instance()).toBe(id);
  cluster.instance(id).queryMode = 'silent';
  const before = client.current().statements.length;
  const call = outcome(client.query(WHO));
  await until(() => client.current().statements.length > before, 'the read sent');
  return call;
}

describe('what counts as changing or binding the session', () => {
  it.each([
    'SET search_path TO s',
    'set time zone utc',
    "SELECT set_config('search_path', 's', false)",
    'RESET ALL',
    'USE other_db',
    'SET NAMES utf8mb4',
    'SET @v = 1',
    'SELECT @v := 1',
    'SELECT 1 INTO @v',
    'CREATE TEMP TABLE t (a int)',
    'CREATE TEMPORARY TABLE t (a int)',
    'PREPARE p AS SELECT 1',
    'DECLARE c CURSOR FOR SELECT 1',
    'FETCH 10 FROM c',
    'LISTEN events',
    'SELECT pg_advisory_lock(1)',
    'SELECT pg_try_advisory_lock(1)',
    "SELECT GET_LOCK('x', 1)",
    'LOCK TABLES t READ',
    'DISCARD ALL',
  ])('%s: touches', (sql) => {
    expect(touchesSession(sql)).toBe(true);
  });

  it.each([
    'SELECT 1',
    'SELECT id, name FROM users WHERE id = $1',
    "SELECT * FROM orders WHERE email = 'a@b.example'",
    'SELECT count(*) FROM settings_history',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'SELECT @@aurora_server_id',
  ])('%s: does not touch', (sql) => {
    expect(touchesSession(sql)).toBe(false);
  });

  it('any text containing SET as a word touches, wherever it is and however it is cased (fast-check)', () => {
    const word = fc.constantFrom('set', 'SET', 'Set', 'sEt');
    const filler = fc.stringMatching(/^[a-z0-9_ (),.*=']{0,30}$/);
    fc.assert(
      fc.property(filler, word, filler, (a, w, b) => touchesSession(`${a} ${w} ${b}`)),
      { numRuns: 500 },
    );
  });
});
