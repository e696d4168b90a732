/**
 * Event and stream mode of `aurora-ha/mysql2` (`query()` with no callback, its Query emitter,
 * `.stream()`, `pool.query()`'s emitter) through an injected writer loss on the emulator: the
 * command's `'error'` is aurora-ha's documented failover error, then `'end'`, never the driver's
 * raw error (a reset socket, or the server's own "connection killed" error packet, which mysql2
 * emits on the command itself); the connection works again afterwards. A server error still reaches the
 * emitter unchanged, before `'end'`.
 */
import type { Readable } from 'node:stream';
import rawPromise from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import mysql from '../../src/mysql2.js';
import type { Connection, Pool } from '../../src/mysql2.js';
import { mysqlConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, writerId } from '../support/failover-harness.js';

interface Endable {
  end(): Promise<unknown>;
}

const harness = failoverHarness<Endable>('mysql', 2);
const { cluster } = harness;

type Rows = Record<string, unknown>[];

/** Long enough to be under way when the loss is injected; the server ends it soon after. */
const LONG = 'SELECT SLEEP(2) AS s';

function connection(): Connection {
  const conn = mysql.createConnection({ ...mysqlConfig(cluster()), ...FAST });
  harness.track({ end: () => new Promise<void>((resolve) => conn.end(() => resolve())) });
  return conn;
}

function cbQuery(conn: Connection | Pool, sql: string): Promise<Rows> {
  return new Promise((resolve, reject) =>
    conn.query(sql, (err: Error | null, rows: unknown) => (err ? reject(err) : resolve(rows as Rows))),
  );
}

/** What an emitter reported, in order. */
interface Heard {
  events: string[];
  errors: unknown[];
  ended: Promise<void>;
}

function listen(emitter: NodeJS.EventEmitter, endEvent: 'end' | 'close'): Heard {
  const heard: Heard = { events: [], errors: [], ended: Promise.resolve() };
  heard.ended = new Promise<void>((resolve) => {
    emitter.on('error', (err: unknown) => {
      heard.events.push('error');
      heard.errors.push(err);
    });
    emitter.on('result', () => heard.events.push('result'));
    emitter.on(endEvent, () => {
      heard.events.push(endEvent);
      resolve();
    });
  });
  return heard;
}

type Injection = (threadId: number | null) => Promise<void>;

/** Every session of the writer is reset (the writer itself stays up and accepts new ones). */
async function resetWriterSoon(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  const writer = writerId(cluster());
  cluster().partition(writer, { mode: 'reset' });
  cluster().heal(writer);
}

/**
 * The writer kills the session under the running statement (KILL from another session): the
 * server answers the statement with an error packet (MariaDB 1927 ER_CONNECTION_KILLED) that
 * mysql2 emits on the command itself, then closes the socket.
 */
async function killSessionSoon(threadId: number | null): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(threadId).toBeTypeOf('number');
  const admin = await rawPromise.createConnection(mysqlConfig(cluster()));
  try {
    await admin.query(`KILL ${Number(threadId)}`);
  } finally {
    await admin.end();
  }
}

const INJECTIONS: [string, Injection][] = [
  ['socket reset', () => resetWriterSoon()],
  ['session killed by the server', killSessionSoon],
];

function expectFailoverError(heard: Heard): void {
  expect(heard.errors).toHaveLength(1);
  const err = heard.errors[0];
  expect(err, String(err)).toBeInstanceOf(FailoverSuccessError);
}

describe.each(INJECTIONS)('mysql2 event and stream mode through a writer loss: %s', (_label, inject) => {
  it("query() with no callback: the Query emitter's 'error' is FailoverSuccessError, then 'end'", async () => {
    const conn = connection();
    expect(await cbQuery(conn, 'SELECT 1 AS a')).toEqual([{ a: 1 }]);
    const heard = listen(conn.query(LONG), 'end');
    await inject(conn.threadId);
    await heard.ended;
    expectFailoverError(heard);
    expect(heard.events).toEqual(['error', 'end']);
    expect(await cbQuery(conn, 'SELECT 2 AS b')).toEqual([{ b: 2 }]);
  });

  it("query().stream(): the stream's 'error' is FailoverSuccessError", async () => {
    const conn = connection();
    expect(await cbQuery(conn, 'SELECT 1 AS a')).toEqual([{ a: 1 }]);
    const stream: Readable = conn.query(LONG).stream();
    const heard = listen(stream, 'close');
    stream.on('data', () => undefined);
    await inject(conn.threadId);
    await heard.ended;
    expectFailoverError(heard);
    expect(await cbQuery(conn, 'SELECT 2 AS b')).toEqual([{ b: 2 }]);
  });

  it("pool.query() with no callback: its emitter's 'error' is FailoverSuccessError, then 'end'", async () => {
    const pool = mysql.createPool({ ...mysqlConfig(cluster()), ...FAST, connectionLimit: 1 });
    harness.track({ end: () => new Promise<void>((resolve) => pool.end(() => resolve())) });
    const poolErrors: unknown[] = [];
    pool.on('error', (e) => poolErrors.push(e));
    expect(await cbQuery(pool, 'SELECT 1 AS a')).toEqual([{ a: 1 }]);
    const heard = listen(pool.query(LONG), 'end');
    await inject(pool._allConnections.get(0)?.threadId ?? null);
    await heard.ended;
    expectFailoverError(heard);
    expect(heard.events).toEqual(['error', 'end']);
    expect(poolErrors).toEqual([]);
    expect(await cbQuery(pool, 'SELECT 2 AS b')).toEqual([{ b: 2 }]);
  });
});

describe('mysql2 event mode through a switchover (the writer shuts down under the statement)', () => {
  it("query() with no callback and query().stream(): 'error' is FailoverSuccessError, then 'end'", async () =>
    harness.onFreshCluster(2, async () => {
      const conn = connection();
      const viaStream = connection();
      expect(await cbQuery(conn, 'SELECT 1 AS a')).toEqual([{ a: 1 }]);
      expect(await cbQuery(viaStream, 'SELECT 1 AS a')).toEqual([{ a: 1 }]);
      const heard = listen(conn.query('SELECT SLEEP(20) AS s'), 'end');
      const stream: Readable = viaStream.query('SELECT SLEEP(20) AS s').stream();
      stream.on('data', () => undefined);
      const streamHeard = listen(stream, 'close');
      await new Promise((r) => setTimeout(r, 300));
      const oldWriter = writerId(cluster());
      const { newWriter } = await cluster().switchover();
      expect(newWriter).not.toBe(oldWriter);
      await Promise.all([heard.ended, streamHeard.ended]);
      expectFailoverError(heard);
      expect(heard.events).toEqual(['error', 'end']);
      expectFailoverError(streamHeard);
      const rows = await cbQuery(conn, 'SELECT @@aurora_server_id AS id');
      expect(rows).toEqual([{ id: newWriter }]);
    }));
});

describe('mysql2 event mode: a read-only error that fails over (strict-writer)', () => {
  it.each(['query', 'execute'] as const)(
    "%s() with no callback on a reader: 'error' is FailoverSuccessError (cause 1290/1836), then 'end'",
    async (method) => {
      const setup = connection();
      await cbQuery(setup, 'CREATE TABLE IF NOT EXISTS emitter_ro (k VARCHAR(64) PRIMARY KEY)');
      const reader = cluster()
        .instances()
        .find((i) => i.role === 'reader');
      expect(reader).toBeDefined();
      // An instance URL defaults to strict-writer: a write refused as read-only moves to the writer.
      const conn = mysql.createConnection({ ...mysqlConfig(cluster(), reader!.host), ...FAST });
      harness.track({ end: () => new Promise<void>((resolve) => conn.end(() => resolve())) });
      expect(await cbQuery(conn, 'SELECT @@innodb_read_only AS r')).toEqual([{ r: 1 }]);
      // mysql2 emits the server's read-only error on the command itself.
      const heard = listen(conn[method]("INSERT IGNORE INTO emitter_ro VALUES ('x')"), 'end');
      await heard.ended;
      expectFailoverError(heard);
      expect([1290, 1836]).toContain(((heard.errors[0] as Error).cause as { errno?: number }).errno);
      expect(heard.events).toEqual(['error', 'end']);
      expect(await cbQuery(conn, 'SELECT @@aurora_server_id AS id')).toEqual([{ id: writerId(cluster()) }]);
    },
  );
});

describe('mysql2 event mode: driver errors', () => {
  it("a server error reaches the emitter unchanged, then 'end' (as mysql2)", async () => {
    const conn = connection();
    const heard = listen(conn.query('SELEC 1'), 'end');
    await heard.ended;
    expect(heard.events).toEqual(['error', 'end']);
    expect((heard.errors[0] as { errno?: number }).errno).toBe(1064);
    const rows: Rows = [];
    const ok = conn.query('SELECT 1 AS a UNION ALL SELECT 2');
    ok.on('result', (r: Record<string, unknown>) => rows.push(r));
    await new Promise((resolve) => ok.on('end', resolve));
    expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
  });
});
