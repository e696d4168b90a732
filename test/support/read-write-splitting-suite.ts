/**
 * Issue 24 part 1 on a real engine (one file per engine calls this): the `readWriteSplitting`
 * plugin's `setReadOnly(true | false)` on a pg Client / pooled client and a mysql2 connection
 * (callback and promise APIs). Reads in read-only mode run on a reader, writes back in
 * read-write mode on the writer (checked with the instance's own id); 1,000 switches open 2
 * physical connections in all (counted on aurora-ha:connect); a switch inside a transaction and
 * a non-boolean argument are typed errors; a pooled connection released read-only comes back
 * read-write; a reader crash while read-only resends the read on another reader; a writer
 * failover while read-write ends in FailoverSuccessError and the connection works on; with no
 * reader, read-only mode falls back to the writer (strict-reader: READ_ONLY_NO_READER).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverSuccessError, ReadWriteSplittingError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { CONNECT_CHANNEL, type ConnectMessage } from '../../src/observe/channels.js';
import { Client, Pool } from '../../src/pg.js';
import mysqlCallback from '../../src/mysql2.js';
import mysql from '../../src/mysql2-promise.js';
import { mysqlConfig, pgConfig, startTestCluster } from './cluster.js';
import { FAST_FAILOVER, expectNoSessionsLeft, rejection, writerId } from './failover-harness.js';
import { traced } from './observability-capture.js';
import { secretLeaks } from './secret-leaks.js';

type Engine = 'postgres' | 'mysql';

const OPTIONS = { ...FAST_FAILOVER, plugins: ['readWriteSplitting', 'failover2'] } as const;

/** One logical connection, engine-neutral. */
interface Conn {
  setReadOnly(readOnly: unknown): Promise<void>;
  /** The instance the next statement runs on (the dialect's own instance-id query). */
  instance(): Promise<string>;
  write(v: number): Promise<void>;
  begin(): Promise<void>;
  rollback(): Promise<void>;
  /** Set the session time zone (a session parameter the server reports) and read it back. */
  setTimeZone(): Promise<void>;
  timeZone(): Promise<string>;
  /** `'error'` and `'failover'` events the facade emitted. */
  readonly events: string[];
  end(): Promise<void>;
}

const ZONE = { postgres: 'Asia/Tokyo', mysql: '+09:00' } as const;

const PG_ID = 'SELECT pg_catalog.aurora_db_instance_identifier() AS id';
const MY_ID = 'SELECT @@aurora_server_id AS id';

async function open(engine: Engine, c: EmulatedCluster, extra: Record<string, unknown> = {}): Promise<Conn> {
  if (engine === 'postgres') {
    const client = new Client({ ...pgConfig(c), ...OPTIONS, ...extra });
    const events: string[] = [];
    client.on('error', (e: Error) => events.push(`error: ${e.message}`));
    client.on('failover', () => events.push('failover'));
    await client.connect();
    return {
      events,
      setTimeZone: async () => void (await client.query(`SET TIME ZONE '${ZONE.postgres}'`)),
      timeZone: async () => (await client.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0]!.TimeZone,
      setReadOnly: (v) => client.setReadOnly(v as boolean),
      instance: async () => (await client.query<{ id: string }>(PG_ID)).rows[0]!.id,
      write: async (v) => void (await client.query('INSERT INTO rws_items (v) VALUES ($1)', [v])),
      begin: async () => void (await client.query('BEGIN')),
      rollback: async () => void (await client.query('ROLLBACK')),
      end: () => client.end(),
    };
  }
  const conn = await mysql.createConnection({ ...mysqlConfig(c), ...OPTIONS, ...extra });
  const events: string[] = [];
  conn.on('error', (e: Error) => events.push(`error: ${e.message}`));
  conn.on('failover', () => events.push('failover'));
  return {
    events,
    setTimeZone: async () => void (await conn.query(`SET time_zone = '${ZONE.mysql}'`)),
    timeZone: async () => {
      const [rows] = await conn.query('SELECT @@session.time_zone AS z');
      return String((rows as { z: unknown }[])[0]!.z);
    },
    setReadOnly: (v) => conn.setReadOnly(v as boolean),
    instance: async () => {
      const [rows] = await conn.query(MY_ID);
      return String((rows as { id: unknown }[])[0]!.id);
    },
    write: async (v) => void (await conn.query('INSERT INTO rws_items (v) VALUES (?)', [v])),
    begin: () => conn.beginTransaction(),
    rollback: () => conn.rollback(),
    end: () => conn.end(),
  };
}

function readerIds(c: EmulatedCluster): string[] {
  return c
    .instances()
    .filter((i) => i.role === 'reader')
    .map((i) => i.id);
}

/** Connects of logical connections (not monitors or probes) while `body` runs. */
async function userConnects(body: () => Promise<void>): Promise<number> {
  const cleanups: (() => void)[] = [];
  const t = traced<ConnectMessage>(CONNECT_CHANNEL, cleanups);
  try {
    await body();
  } finally {
    for (const f of cleanups) f();
  }
  return t.start.filter((m) => m.purpose === 'user' || m.purpose === 'initial' || m.purpose === 'pool')
    .length;
}

async function seed(engine: Engine, c: EmulatedCluster): Promise<void> {
  if (engine === 'postgres') {
    const client = new Client({ ...pgConfig(c), plugins: [] });
    await client.connect();
    await client.query('CREATE TABLE rws_items (v int NOT NULL)');
    await client.end();
  } else {
    const m = await mysql.createConnection({ ...mysqlConfig(c), plugins: [] });
    await m.query('CREATE TABLE rws_items (v int NOT NULL)');
    await m.end();
  }
}

export function readWriteSplittingSuite(engine: Engine): void {
  describe(`readWriteSplitting on ${engine}: setReadOnly (issue 24 part 1)`, () => {
    let cluster: EmulatedCluster;

    beforeAll(async () => {
      cluster = await startTestCluster({ engine, instances: 3 });
      await seed(engine, cluster);
    });

    afterAll(async () => {
      await cluster?.stop();
    });

    it('true: reads on a reader; false: writes on the writer; 1,000 switches open 2 physical connections in all', async () => {
      const c = cluster;
      let conn: Conn | undefined;
      const opened = await userConnects(async () => {
        conn = await open(engine, c);
        expect(await conn.instance()).toBe(writerId(c));
        await conn.setReadOnly(true);
        const reader = await conn.instance();
        expect(readerIds(c)).toContain(reader);
        await conn.setReadOnly(false);
        expect(await conn.instance()).toBe(writerId(c));
        await conn.write(1);
        for (let i = 0; i < 1_000; i++) await conn.setReadOnly(i % 2 === 0);
        // 1,000 switches end in read-write mode: on the writer; once more read-only: the same reader.
        expect(await conn.instance()).toBe(writerId(c));
        await conn.setReadOnly(true);
        expect(await conn.instance()).toBe(reader);
        await conn.setReadOnly(false);
      });
      expect(opened, 'physical connections opened by the logical connection').toBe(2);
      expect(conn!.events, 'a switch is no failover and no error').toEqual([]);
      await conn!.end();
      // end() closed both sides: no session of the test user is left on any instance.
      await expectNoSessionsLeft(c);
    });

    it('transferSessionStateOnSwitch: the time zone set on the writer follows to the reader; without it the reader keeps its own', async () => {
      const c = cluster;
      for (const transfer of [true, false]) {
        const conn = await open(engine, c, { transferSessionStateOnSwitch: transfer });
        try {
          const before = await conn.timeZone();
          await conn.setTimeZone();
          await conn.setReadOnly(true);
          expect(readerIds(c)).toContain(await conn.instance());
          expect(await conn.timeZone()).toBe(transfer ? ZONE[engine] : before);
          await conn.setReadOnly(false);
          expect(await conn.timeZone()).toBe(ZONE[engine]);
        } finally {
          await conn.end();
        }
      }
    });

    it('inside a transaction: READ_ONLY_IN_TRANSACTION, nothing switched; a non-boolean: READ_ONLY_BAD_ARGUMENT; no secret in either', async () => {
      const c = cluster;
      const conn = await open(engine, c);
      try {
        await conn.begin();
        const started = Date.now();
        const inTx = await rejection(conn.setReadOnly(true));
        expect(inTx).toBeInstanceOf(ReadWriteSplittingError);
        expect((inTx as ReadWriteSplittingError).code).toBe('READ_ONLY_IN_TRANSACTION');
        expect((inTx as ReadWriteSplittingError).option).toBe('setReadOnly');
        expect(await conn.instance()).toBe(writerId(c));
        await conn.rollback();
        const bad = await rejection(conn.setReadOnly('yes'));
        expect(bad).toBeInstanceOf(ReadWriteSplittingError);
        expect((bad as ReadWriteSplittingError).code).toBe('READ_ONLY_BAD_ARGUMENT');
        expect(Date.now() - started).toBeLessThan(2_000);
        for (const e of [inTx, bad]) expect(secretLeaks(e, c.credentials.password)).toEqual([]);
        // A switch that was refused inside a transaction works after it.
        await conn.setReadOnly(true);
        expect(readerIds(c)).toContain(await conn.instance());
      } finally {
        await conn.end();
      }
    });

    if (engine === 'mysql') {
      it('the callback API: conn.setReadOnly(bool, cb)', async () => {
        const c = cluster;
        const conn = mysqlCallback.createConnection({ ...mysqlConfig(c), ...OPTIONS });
        const id = (): Promise<string> =>
          new Promise((resolve, reject) =>
            conn.query(MY_ID, (err: Error | null, rows?: unknown) =>
              err ? reject(err) : resolve(String((rows as { id: unknown }[])[0]!.id)),
            ),
          );
        const set = (v: unknown): Promise<void> =>
          new Promise((resolve, reject) =>
            conn.setReadOnly(v as boolean, (err) => (err ? reject(err) : resolve())),
          );
        try {
          await set(true);
          expect(readerIds(c)).toContain(await id());
          await set(false);
          expect(await id()).toBe(writerId(c));
          expect(((await rejection(set(1))) as ReadWriteSplittingError).code).toBe('READ_ONLY_BAD_ARGUMENT');
        } finally {
          await new Promise<void>((resolve) => conn.end(() => resolve()));
        }
      });
    }

    it('a pooled connection released in read-only mode is handed out again on the writer, read-write', async () => {
      const c = cluster;
      if (engine === 'postgres') {
        const pool = new Pool({ ...pgConfig(c), ...OPTIONS, max: 1 });
        try {
          const client = await pool.connect();
          await client.setReadOnly(true);
          expect(readerIds(c)).toContain((await client.query<{ id: string }>(PG_ID)).rows[0]!.id);
          client.release();
          const again = await pool.connect();
          expect(again).toBe(client);
          expect(again.readOnly).toBe(false);
          expect((await again.query<{ id: string }>(PG_ID)).rows[0]!.id).toBe(writerId(c));
          again.release();
        } finally {
          await pool.end();
        }
        return;
      }
      const pool = mysql.createPool({ ...mysqlConfig(c), ...OPTIONS, connectionLimit: 1 });
      try {
        const conn = await pool.getConnection();
        await conn.setReadOnly(true);
        const [r1] = await conn.query(MY_ID);
        expect(readerIds(c)).toContain(String((r1 as { id: unknown }[])[0]!.id));
        conn.release();
        const again = await pool.getConnection();
        const [r2] = await again.query(MY_ID);
        expect(String((r2 as { id: unknown }[])[0]!.id)).toBe(writerId(c));
        again.release();
      } finally {
        await pool.end();
      }
    });

    it('every reader refusing connections: setReadOnly(true) stays on the writer by default; with strict-reader READ_ONLY_NO_READER naming failoverMode; bounded, no secret', async () => {
      const c = cluster;
      await c.settled();
      const readers = readerIds(c);
      for (const id of readers) c.partition(id, { mode: 'refuse' });
      try {
        const fallback = await open(engine, c);
        try {
          const started = Date.now();
          await fallback.setReadOnly(true);
          expect(Date.now() - started).toBeLessThan(FAST_FAILOVER.failoverReaderConnectTimeoutMs + 1_000);
          expect(await fallback.instance()).toBe(writerId(c));
          await fallback.setReadOnly(false);
          expect(await fallback.instance()).toBe(writerId(c));
        } finally {
          await fallback.end();
        }
        const strict = await open(engine, c, { failoverMode: 'strict-reader' });
        try {
          const started = Date.now();
          const err = await rejection(strict.setReadOnly(true));
          expect(Date.now() - started).toBeLessThan(FAST_FAILOVER.failoverReaderConnectTimeoutMs + 1_000);
          expect(err).toBeInstanceOf(ReadWriteSplittingError);
          expect((err as ReadWriteSplittingError).code).toBe('READ_ONLY_NO_READER');
          expect((err as ReadWriteSplittingError).option).toBe('failoverMode');
          expect(secretLeaks(err, c.credentials.password)).toEqual([]);
          // Still usable, on the writer.
          expect(await strict.instance()).toBe(writerId(c));
        } finally {
          await strict.end();
        }
      } finally {
        for (const id of readers) c.heal(id);
      }
    });

    it('the reader side lost while idle (its reader crashed while read-write): the next setReadOnly(true) opens another reader silently, no event', async () => {
      const c = cluster;
      await c.settled();
      const conn = await open(engine, c);
      let reader: string | undefined;
      try {
        await conn.setReadOnly(true);
        reader = await conn.instance();
        await conn.setReadOnly(false);
        await c.crash(reader);
        // The idle side's socket is gone: nothing surfaces while it sits unused.
        await new Promise((r) => setTimeout(r, 300));
        expect(await conn.instance()).toBe(writerId(c));
        await conn.setReadOnly(true);
        const other = await conn.instance();
        expect(other).not.toBe(reader);
        expect(readerIds(c)).toContain(other);
        expect(conn.events).toEqual([]);
      } finally {
        await conn.end();
        if (reader !== undefined) await c.reboot(reader);
      }
    });

    for (const failover of ['failover2', 'failover'] as const) {
      it(`a reader crash while read-only (${failover}): the read is resent on another reader (no error, no 'error' event)`, async () => {
        await cluster.settled();
        const c = cluster;
        // strict-reader: the reader side never takes the writer, even when the other reader is
        // still marked down (30 s) by an earlier test's crash; the writer side stays strict-writer.
        const conn = await open(engine, c, {
          plugins: ['readWriteSplitting', failover],
          failoverMode: 'strict-reader',
        });
        let reader: string | undefined;
        try {
          await conn.setReadOnly(true);
          reader = await conn.instance();
          await c.crash(reader);
          const started = Date.now();
          const after = await conn.instance();
          expect(after).not.toBe(reader);
          expect(readerIds(c)).toContain(after);
          expect(Date.now() - started).toBeLessThan(FAST_FAILOVER.failoverTimeoutMs);
          // The move is reported as any failover is; nothing reached the application as an error.
          expect(conn.events).toEqual(['failover']);
          await conn.setReadOnly(false);
          expect(await conn.instance()).toBe(writerId(c));
        } finally {
          await conn.end();
          if (reader !== undefined) await c.reboot(reader);
        }
      });
    }

    it('a writer failover while read-write (failoverMode strict-reader, which speaks for the reader side only): FailoverSuccessError, then writes on the new writer and reads on a reader', async () => {
      const c = cluster;
      await c.settled();
      const conn = await open(engine, c, { failoverMode: 'strict-reader' });
      try {
        await conn.setReadOnly(true);
        await conn.setReadOnly(false);
        const { newWriter } = await c.failover();
        const err = await rejection(conn.write(2));
        expect(err).toBeInstanceOf(FailoverSuccessError);
        expect(await conn.instance()).toBe(newWriter);
        await conn.write(3);
        await c.settled();
        await conn.setReadOnly(true);
        const reader = await conn.instance();
        expect(reader).not.toBe(newWriter);
      } finally {
        await conn.end();
      }
    });

    it('a writer failover while read-only (the writer side idle): setReadOnly(false) reaches the new writer, no error, no event', async () => {
      const c = cluster;
      await c.settled();
      const conn = await open(engine, c);
      try {
        await conn.setReadOnly(true);
        expect(readerIds(c)).toContain(await conn.instance());
        const { newWriter } = await c.failover();
        const started = Date.now();
        await conn.setReadOnly(false);
        expect(Date.now() - started).toBeLessThan(FAST_FAILOVER.failoverReaderConnectTimeoutMs + 1_000);
        expect(await conn.instance()).toBe(newWriter);
        await conn.write(4);
        await c.settled();
        await conn.setReadOnly(true);
        expect(await conn.instance()).not.toBe(newWriter);
        expect(conn.events).toEqual([]);
      } finally {
        await conn.end();
      }
    });
  });

  describe(`readWriteSplitting on ${engine}: a cluster without a reader`, () => {
    let cluster: EmulatedCluster;

    beforeAll(async () => {
      cluster = await startTestCluster({ engine, instances: 1 });
    });

    afterAll(async () => {
      await cluster?.stop();
    });

    it('setReadOnly(true) falls back to the writer (default), in bounded time; strict-reader too (a single instance is its own reader)', async () => {
      const c = cluster;
      for (const extra of [{}, { failoverMode: 'strict-reader' }]) {
        const conn = await open(engine, c, extra);
        try {
          const started = Date.now();
          await conn.setReadOnly(true);
          expect(Date.now() - started).toBeLessThan(2_000);
          expect(await conn.instance()).toBe(writerId(c));
          await conn.setReadOnly(false);
          expect(await conn.instance()).toBe(writerId(c));
        } finally {
          await conn.end();
        }
      }
    });
  });
}
