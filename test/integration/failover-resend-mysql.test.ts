/**
 * Issue 20, MySQL protocol (MariaDB engine): a write rejected as read-only (1290 / 1836) by the
 * old writer, reached through the writer cluster endpoint during the DNS lag without
 * initialConnection, did not apply; once the role check confirmed and failover moved the
 * connection, it is sent again on the new writer and the caller gets its result (v1 and v2; the
 * promise and callback connections, `query` and `execute`, a prepared statement handle; the
 * promise and callback pools). Inside a transaction, and with autocommit off:
 * TransactionResolutionUnknownError. The event-emitter form is not resent (its caller listens
 * on the first command): FailoverSuccessError, as before. Every row is counted on the new
 * writer: written exactly once, or not at all.
 *
 * One cluster for the file, failed over once in beforeAll: DNS keeps naming the old writer (now a
 * reader) for the whole file, and every test first checks that it still does.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailoverError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { createConnection, createPool as createCallbackPool } from '../../src/mysql2.js';
import { PromiseConnection, createPool } from '../../src/mysql2-promise.js';
import { mysqlConfig, startTestCluster } from '../support/cluster.js';
import { FAST_FAILOVER, expectNoSessionsLeft, rejection } from '../support/failover-harness.js';

const DNS_LAG_MS = 600_000;
const CONNECTIONS = 20;
const ID = 'SELECT @@aurora_server_id AS id';
const INSERT = 'INSERT INTO resend_writes (k) VALUES (?)';
const READ_ONLY = [1290, 1836];

let cluster: EmulatedCluster | undefined;
let oldWriter = '';
let newWriter = '';
const c = (): EmulatedCluster => {
  if (cluster === undefined) throw new Error('cluster not started');
  return cluster;
};

beforeAll(async () => {
  cluster = await startTestCluster({ engine: 'mysql', instances: 3, dnsLagMs: DNS_LAG_MS });
  const setup = await mysql.createConnection(mysqlConfig(cluster));
  await setup.query('CREATE TABLE resend_writes (k varchar(64) NOT NULL)');
  await setup.end();
  oldWriter = cluster.instances().find((i) => i.role === 'writer')!.id;
  ({ newWriter } = await cluster.failover());
  // The old writer is back as a reader, and the writer endpoint still names it.
  await cluster.settled();
}, 240_000);

afterAll(async () => {
  if (cluster !== undefined) await expectNoSessionsLeft(cluster);
  await cluster?.stop();
}, 120_000);

/** A plain mysql2 connection through the writer endpoint is still on the old writer and cannot write. */
async function expectDnsLag(): Promise<void> {
  const plain = await mysql.createConnection(mysqlConfig(c()));
  plain.on('error', () => undefined);
  try {
    const [rows] = (await plain.query(ID)) as [{ id: unknown }[], unknown];
    expect(String(rows[0]!.id)).toBe(oldWriter);
    const err = await rejection(plain.query(INSERT, ['plain']));
    expect(READ_ONLY).toContain((err as { errno?: number }).errno);
  } finally {
    await plain.end();
  }
}

/** How many rows each key has, read on the new writer. */
async function rowsByKey(prefix: string): Promise<Record<string, number>> {
  const host = c()
    .instances()
    .find((i) => i.id === newWriter)!.host;
  const probe = await mysql.createConnection(mysqlConfig(c(), host));
  try {
    const [rows] = (await probe.query(
      'SELECT k, COUNT(*) AS n FROM resend_writes WHERE k LIKE ? GROUP BY k',
      [`${prefix}%`],
    )) as [{ k: string; n: number }[], unknown];
    return Object.fromEntries(rows.map((row) => [row.k, Number(row.n)]));
  } finally {
    await probe.end();
  }
}

function once(keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, 1]));
}

type Callback = (err: Error | null, result?: unknown) => void;
interface CallbackConnection {
  query(sql: string, values: unknown[], cb: Callback): unknown;
  execute(sql: string, values: unknown[], cb: Callback): unknown;
  on(event: 'failover', fn: (e: unknown) => void): unknown;
  end(cb: (err?: Error | null) => void): void;
}

/** One connection of the 20, in one of the forms the write can take. */
interface Writer {
  write(key: string): Promise<number>;
  instance(): Promise<string>;
  end(): Promise<void>;
}

function callbackCall(
  conn: CallbackConnection,
  method: 'query' | 'execute',
  sql: string,
  values: unknown[],
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    conn[method](sql, values, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

async function openWriter(form: number, config: Record<string, unknown>, seen: unknown[]): Promise<Writer> {
  if (form < 3) {
    // The promise connection: query, execute, a prepared statement handle.
    const conn = new PromiseConnection(config);
    conn.on('failover', (e: unknown) => seen.push(e));
    await conn.connect();
    const write = async (key: string): Promise<number> => {
      if (form === 2) {
        const stmt = (await conn.prepare(INSERT)) as { execute(v: unknown[]): Promise<unknown> };
        const [r] = (await stmt.execute([key])) as [{ affectedRows: number }, unknown];
        return r.affectedRows;
      }
      const [r] = (await (form === 0 ? conn.query(INSERT, [key]) : conn.execute(INSERT, [key]))) as [
        { affectedRows: number },
        unknown,
      ];
      return r.affectedRows;
    };
    return {
      write,
      instance: async () => {
        const [rows] = (await conn.query(ID)) as [{ id: unknown }[], unknown];
        return String(rows[0]!.id);
      },
      end: () => conn.end(),
    };
  }
  // The callback connection: query, execute.
  const conn = createConnection(config) as unknown as CallbackConnection;
  conn.on('failover', (e: unknown) => seen.push(e));
  const method = form === 3 ? 'query' : 'execute';
  return {
    write: async (key) =>
      ((await callbackCall(conn, method, INSERT, [key])) as { affectedRows: number }).affectedRows,
    instance: async () => String(((await callbackCall(conn, 'query', ID, [])) as { id: unknown }[])[0]!.id),
    end: () => new Promise<void>((resolve) => conn.end(() => resolve())),
  };
}

describe('a write the old writer rejected as read-only is sent again on the new writer (MariaDB)', () => {
  it.each([['failover2'], ['failover']])(
    '%s: 20 connections through the writer endpoint during the DNS lag, each first write succeeds, each row once',
    { timeout: 180_000 },
    async (plugin) => {
      await expectDnsLag();
      const prefix = `${plugin}-`;
      const config = { ...mysqlConfig(c()), plugins: [plugin], ...FAST_FAILOVER };
      const events: unknown[][] = Array.from({ length: CONNECTIONS }, () => []);
      const settled = await Promise.allSettled(
        Array.from({ length: CONNECTIONS }, (_, i) => openWriter(i % 5, config, events[i]!)),
      );
      const writers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      try {
        expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
        // Where they landed: the old writer, a reader now.
        expect(new Set(await Promise.all(writers.map((w) => w.instance())))).toEqual(new Set([oldWriter]));
        const keys = writers.map((_, i) => `${prefix}${i}`);
        const writes = await Promise.allSettled(writers.map((w, i) => w.write(keys[i]!)));
        expect(writes.filter((w) => w.status === 'rejected')).toEqual([]);
        expect(writes.map((w) => (w.status === 'fulfilled' ? w.value : undefined))).toEqual(
          keys.map(() => 1),
        );
        // Each moved once, and said so.
        for (const seen of events) expect(seen).toMatchObject([{ outcome: 'success' }]);
        expect(new Set(await Promise.all(writers.map((w) => w.instance())))).toEqual(new Set([newWriter]));
        expect(await rowsByKey(prefix)).toEqual(once(keys));
      } finally {
        await Promise.all(writers.map((w) => w.end().catch(() => undefined)));
      }
    },
  );

  it(
    'mysql2 pools: pool.query / pool.execute and checked-out connections opened on the old writer get their results, each row once',
    {
      timeout: 180_000,
    },
    async () => {
      await expectDnsLag();
      const config = { ...mysqlConfig(c()), plugins: ['failover2'], ...FAST_FAILOVER };
      const pool = createPool({ ...config, connectionLimit: 5 });
      const checkout = createPool({ ...config, connectionLimit: 4 });
      const callbackPool = createCallbackPool({ ...config, connectionLimit: 3 }) as unknown as {
        query(sql: string, values: unknown[], cb: Callback): unknown;
        end(cb: () => void): void;
      };
      try {
        // A value holding '?': the SQL mysql2 formatted in place is not formatted a second time.
        const queried = Array.from({ length: 10 }, (_, i) => (i === 0 ? "pool-q0-'?'" : `pool-q${i}`));
        const results = await Promise.all(
          queried.map((k, i) => (i % 2 === 0 ? pool.query(INSERT, [k]) : pool.execute(INSERT, [k]))),
        );
        expect(results.map(([r]) => (r as { affectedRows: number }).affectedRows)).toEqual(
          queried.map(() => 1),
        );

        const viaCallback = Array.from({ length: 6 }, (_, i) => `pool-cb${i}`);
        const cbResults = await Promise.all(
          viaCallback.map(
            (k) =>
              new Promise<unknown>((resolve, reject) =>
                callbackPool.query(INSERT, [k], (err, r) => (err ? reject(err) : resolve(r))),
              ),
          ),
        );
        expect(cbResults.map((r) => (r as { affectedRows: number }).affectedRows)).toEqual(
          viaCallback.map(() => 1),
        );

        const conns = await Promise.all(Array.from({ length: 4 }, () => checkout.getConnection()));
        const checkedOut = conns.map((_, i) => `pool-c${i}`);
        const instance = async (conn: (typeof conns)[number]): Promise<string> => {
          const [rows] = (await conn.query(ID)) as [{ id: unknown }[], unknown];
          return String(rows[0]!.id);
        };
        try {
          expect(new Set(await Promise.all(conns.map(instance)))).toEqual(new Set([oldWriter]));
          const r = await Promise.all(conns.map((conn, i) => conn.query(INSERT, [checkedOut[i]])));
          expect(r.map(([x]) => (x as { affectedRows: number }).affectedRows)).toEqual(
            checkedOut.map(() => 1),
          );
          expect(new Set(await Promise.all(conns.map(instance)))).toEqual(new Set([newWriter]));
        } finally {
          for (const conn of conns) conn.release();
        }
        expect(await rowsByKey('pool-')).toEqual(once([...queried, ...viaCallback, ...checkedOut]));
      } finally {
        await pool.end();
        await checkout.end();
        await new Promise<void>((resolve) => callbackPool.end(() => resolve()));
      }
    },
  );

  it.each([
    ['failover2', 'BEGIN'],
    ['failover', 'START TRANSACTION'],
    ['failover2', 'SET autocommit = 0'],
    ['failover', 'SET autocommit = 0'],
  ])(
    '%s after %s: TransactionResolutionUnknownError as before, and nothing written',
    { timeout: 120_000 },
    async (plugin, opening) => {
      await expectDnsLag();
      const key = `tx-${plugin}-${opening.replace(/\W+/g, '')}`;
      const conn = new PromiseConnection({ ...mysqlConfig(c()), plugins: [plugin], ...FAST_FAILOVER });
      const seen: unknown[] = [];
      conn.on('failover', (e: unknown) => seen.push(e));
      await conn.connect();
      try {
        await conn.query(opening);
        const err = await rejection(conn.query(INSERT, [key]));
        expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
        expect(READ_ONLY).toContain(((err as FailoverError).cause as { errno?: number }).errno);
        expect(seen).toMatchObject([{ outcome: 'success' }]);
        const [rows] = (await conn.query(ID)) as [{ id: unknown }[], unknown];
        expect(String(rows[0]!.id)).toBe(newWriter);
        expect(await rowsByKey(key)).toEqual({});
      } finally {
        await conn.end();
      }
    },
  );

  it(
    'the event-emitter form is not resent: the command emits FailoverSuccessError then end, nothing written',
    {
      timeout: 120_000,
    },
    async () => {
      await expectDnsLag();
      const conn = createConnection({
        ...mysqlConfig(c()),
        plugins: ['failover2'],
        ...FAST_FAILOVER,
      }) as unknown as CallbackConnection & {
        query(sql: string, values: unknown[]): NodeJS.EventEmitter;
      };
      const seen: unknown[] = [];
      conn.on('failover', (e: unknown) => seen.push(e));
      try {
        const heard: string[] = [];
        const err = await new Promise<unknown>((resolve) => {
          let error: unknown;
          conn
            .query(INSERT, ['emitter'])
            .on('result', () => heard.push('result'))
            .on('error', (e: unknown) => {
              heard.push('error');
              error = e;
            })
            .on('end', () => {
              heard.push('end');
              resolve(error);
            });
        });
        expect(heard).toEqual(['error', 'end']);
        expect(err).toBeInstanceOf(FailoverSuccessError);
        expect(seen).toMatchObject([{ outcome: 'success' }]);
        const rows = (await callbackCall(conn, 'query', ID, [])) as { id: unknown }[];
        expect(String(rows[0]!.id)).toBe(newWriter);
        expect(await rowsByKey('emitter')).toEqual({});
      } finally {
        await new Promise<void>((resolve) => conn.end(() => resolve()));
      }
    },
  );
});
