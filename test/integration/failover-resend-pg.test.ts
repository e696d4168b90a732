/**
 * Issue 20, PostgreSQL: a write rejected as read-only (25006) by the old writer, reached through
 * the writer cluster endpoint during the DNS lag without initialConnection, did not apply; once
 * the role check confirmed and failover moved the connection, it is sent again on the new writer
 * and the caller gets its result (v1 and v2; Client in promise, callback and prepared forms; pg
 * Pool's query and checked-out clients). Inside a transaction: TransactionResolutionUnknownError.
 * Every row is counted on the new writer: written exactly once, or not at all.
 *
 * One cluster for the file, failed over once in beforeAll: DNS keeps naming the old writer (now a
 * reader) for the whole file, and every test first checks that it still does.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { Client, Pool } from '../../src/pg.js';
import { pgConfig, startTestCluster } from '../support/cluster.js';
import { FAST_FAILOVER, expectNoSessionsLeft, rejection } from '../support/failover-harness.js';

const DNS_LAG_MS = 600_000;
const CONNECTIONS = 20;
const ID = 'SELECT pg_catalog.aurora_db_instance_identifier() AS id';

let cluster: EmulatedCluster | undefined;
let oldWriter = '';
let newWriter = '';
const c = (): EmulatedCluster => {
  if (cluster === undefined) throw new Error('cluster not started');
  return cluster;
};

beforeAll(async () => {
  cluster = await startTestCluster({ engine: 'postgres', instances: 3, dnsLagMs: DNS_LAG_MS });
  const setup = new pg.Client(pgConfig(cluster));
  await setup.connect();
  await setup.query('CREATE TABLE resend_writes (k text NOT NULL)');
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

/** A plain pg connection through the writer endpoint is still on the old writer and cannot write. */
async function expectDnsLag(): Promise<void> {
  const plain = new pg.Client(pgConfig(c()));
  plain.on('error', () => undefined);
  await plain.connect();
  try {
    expect((await plain.query<{ id: string }>(ID)).rows[0]!.id).toBe(oldWriter);
    const err = await rejection(plain.query("INSERT INTO resend_writes VALUES ('plain')"));
    expect((err as { code?: string }).code).toBe('25006');
  } finally {
    await plain.end();
  }
}

/** How many rows each key has, read on the new writer. */
async function rowsByKey(prefix: string): Promise<Record<string, number>> {
  const host = c()
    .instances()
    .find((i) => i.id === newWriter)!.host;
  const probe = new pg.Client(pgConfig(c(), host));
  await probe.connect();
  try {
    const r = await probe.query<{ k: string; n: number }>(
      'SELECT k, count(*)::int AS n FROM resend_writes WHERE k LIKE $1 GROUP BY k',
      [`${prefix}%`],
    );
    return Object.fromEntries(r.rows.map((row) => [row.k, row.n]));
  } finally {
    await probe.end();
  }
}

function once(keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, 1]));
}

const INSERT = 'INSERT INTO resend_writes VALUES ($1) RETURNING k';

async function instanceOf(q: { query(sql: string): Promise<pg.QueryResult> }): Promise<string> {
  return String((await q.query(ID)).rows[0]!.id);
}

/** The write in one of pg's forms: promise, callback, a named (prepared) statement. */
function write(client: Client, key: string, form: number): Promise<pg.QueryResult> {
  if (form === 1) {
    return new Promise((resolve, reject) => {
      client.query(INSERT, [key], (err, r) => (err ? reject(err) : resolve(r as pg.QueryResult)));
    });
  }
  if (form === 2) return client.query({ name: 'resend_insert', text: INSERT, values: [key] });
  return client.query(INSERT, [key]);
}

describe('a write the old writer rejected as read-only is sent again on the new writer (PostgreSQL)', () => {
  it.each([['failover2'], ['failover']])(
    '%s: 20 connections through the writer endpoint during the DNS lag, each first write succeeds, each row once',
    { timeout: 180_000 },
    async (plugin) => {
      await expectDnsLag();
      const prefix = `${plugin}-`;
      const events: unknown[][] = [];
      const clients = await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, i) => {
          const client = new Client({ ...pgConfig(c()), plugins: [plugin], ...FAST_FAILOVER });
          const seen: unknown[] = [];
          events[i] = seen;
          client.on('failover', (e: unknown) => seen.push(e));
          await client.connect();
          return client;
        }),
      );
      try {
        // Where they landed: the old writer, a reader now.
        expect(new Set(await Promise.all(clients.map(instanceOf)))).toEqual(new Set([oldWriter]));
        const keys = clients.map((_, i) => `${prefix}${i}`);
        const writes = await Promise.allSettled(clients.map((client, i) => write(client, keys[i]!, i % 3)));
        expect(writes.filter((w) => w.status === 'rejected')).toEqual([]);
        expect(
          writes.map((w) => (w.status === 'fulfilled' ? (w.value.rows[0] as { k: string }).k : undefined)),
        ).toEqual(keys);
        // Each moved once, and said so.
        for (const seen of events) expect(seen).toMatchObject([{ outcome: 'success' }]);
        expect(new Set(await Promise.all(clients.map(instanceOf)))).toEqual(new Set([newWriter]));
        expect(await rowsByKey(prefix)).toEqual(once(keys));
      } finally {
        await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      }
    },
  );

  it(
    'pg Pool: pool.query and checked-out clients opened on the old writer get their results, each row once',
    {
      timeout: 180_000,
    },
    async () => {
      await expectDnsLag();
      const config = { ...pgConfig(c()), plugins: ['failover2'], ...FAST_FAILOVER };
      const pool = new Pool({ ...config, max: 5 });
      const checkout = new Pool({ ...config, max: 4 });
      try {
        const queried = Array.from({ length: 10 }, (_, i) => `pool-q${i}`);
        const results = await Promise.all(queried.map((k) => pool.query(INSERT, [k])));
        expect(results.map((r) => (r.rows[0] as { k: string }).k)).toEqual(queried);

        const clients = await Promise.all(Array.from({ length: 4 }, () => checkout.connect()));
        const checkedOut = clients.map((_, i) => `pool-c${i}`);
        try {
          expect(new Set(await Promise.all(clients.map(instanceOf)))).toEqual(new Set([oldWriter]));
          const r = await Promise.all(clients.map((client, i) => client.query(INSERT, [checkedOut[i]])));
          expect(r.map((x) => (x.rows[0] as { k: string }).k)).toEqual(checkedOut);
          expect(new Set(await Promise.all(clients.map(instanceOf)))).toEqual(new Set([newWriter]));
        } finally {
          for (const client of clients) client.release();
        }
        expect(await rowsByKey('pool-')).toEqual(once([...queried, ...checkedOut]));
      } finally {
        await pool.end();
        await checkout.end();
      }
    },
  );

  it.each([['failover2'], ['failover']])(
    '%s: inside a transaction, TransactionResolutionUnknownError as before, and nothing written',
    { timeout: 120_000 },
    async (plugin) => {
      await expectDnsLag();
      const client = new Client({ ...pgConfig(c()), plugins: [plugin], ...FAST_FAILOVER });
      const seen: unknown[] = [];
      client.on('failover', (e: unknown) => seen.push(e));
      await client.connect();
      try {
        await client.query('BEGIN');
        const err = await rejection(client.query(INSERT, [`tx-${plugin}`]));
        expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
        expect(((err as FailoverError).cause as { code?: string }).code).toBe('25006');
        expect(seen).toMatchObject([{ outcome: 'success' }]);
        expect(await instanceOf(client)).toBe(newWriter);
        expect(await rowsByKey(`tx-${plugin}`)).toEqual({});
      } finally {
        await client.end();
      }
    },
  );

  it(
    'a resend rejected as read-only again (the session kept read-only across the move) is the raw error, not another failover',
    {
      timeout: 120_000,
    },
    async () => {
      await expectDnsLag();
      const client = new Client({
        ...pgConfig(c()),
        plugins: ['failover2'],
        ...FAST_FAILOVER,
        keepSessionStateOnFailover: true,
      });
      const seen: unknown[] = [];
      client.on('failover', (e: unknown) => seen.push(e));
      await client.connect();
      try {
        await client.query('SET default_transaction_read_only = on');
        const err = await rejection(client.query(INSERT, ['ro-again']));
        expect(err).not.toBeInstanceOf(FailoverError);
        expect((err as { code?: string }).code).toBe('25006');
        // Moved once (the old writer is a reader), not twice (the new writer is the writer).
        expect(seen).toMatchObject([{ outcome: 'success' }]);
        expect(await instanceOf(client)).toBe(newWriter);
        expect(await rowsByKey('ro-again')).toEqual({});
      } finally {
        await client.end();
      }
    },
  );
});
