/**
 * `createPool` / `createPoolCluster` of `aurora-ha/mysql2` and the promise pools of
 * `aurora-ha/mysql2/promise` on a real MariaDB (the emulator): mysql2's pool API, events and
 * command emitters with `plugins: []` and the default plugins, results compared with raw
 * mysql2; then a writer failover under 30 concurrent `pool.query` calls on 10 connections:
 * only aurora-ha's documented failover errors, no pool `'error'`, no acknowledged write lost,
 * every worker writes again on the new writer, and few connections opened.
 */
import rawMysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import mysql from '../../src/mysql2.js';
import type { Pool } from '../../src/mysql2.js';
import mysqlPromise from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, writerId } from '../support/failover-harness.js';

interface Endable {
  end(): Promise<unknown>;
}

const harness = failoverHarness<Endable>('mysql', 2);
const { cluster, onFreshCluster } = harness;

type Rows = Record<string, unknown>[];

function endPool(pool: { end(cb: (err?: Error | null) => void): void }): Endable {
  return { end: () => new Promise<void>((resolve) => pool.end(() => resolve())) };
}

function cbQuery(pool: Pool | rawMysql.Pool, sql: string, values?: unknown[]): Promise<Rows> {
  return new Promise((resolve, reject) =>
    pool.query(sql, values, (err: Error | null, rows: unknown) =>
      err ? reject(err) : resolve(rows as Rows),
    ),
  );
}

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('aurora-ha/mysql2 pool with %s', (_label, options) => {
  it('query, execute, getConnection and the events, as mysql2', async () => {
    const pool = mysql.createPool({ ...mysqlConfig(cluster()), ...options, connectionLimit: 2 });
    harness.track(endPool(pool));
    const raw = rawMysql.createPool({ ...mysqlConfig(cluster()), connectionLimit: 2 });
    harness.track(endPool(raw));
    const events: string[] = [];
    for (const e of ['connection', 'acquire', 'release', 'enqueue']) pool.on(e, () => events.push(e));

    const sql = 'SELECT ? + 1 AS n, CAST(? AS CHAR) AS s';
    expect(await cbQuery(pool, sql, [1, 'x'])).toEqual(await cbQuery(raw, sql, [1, 'x']));
    const executed = await new Promise<Rows>((resolve, reject) =>
      pool.execute('SELECT ? AS v', [42], (err, rows) => (err ? reject(err) : resolve(rows as Rows))),
    );
    expect(executed).toEqual([{ v: 42 }]);
    expect(events).toContain('connection');
    expect(events).toContain('acquire');
    expect(events).toContain('release');

    // The Query emitter of pool.query: rows as 'result' events, then 'end'.
    const streamed: Rows = [];
    await new Promise<void>((resolve, reject) => {
      const q = pool.query('SELECT 1 AS a UNION ALL SELECT 2');
      q.on('result', (row: Record<string, unknown>) => streamed.push(row));
      q.on('error', reject);
      q.on('end', () => resolve());
    });
    expect(streamed).toEqual([{ a: 1 }, { a: 2 }]);

    // Three callers on a limit of two: one waits ('enqueue'), then gets a released connection.
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<import('../../src/mysql2.js').PoolConnection>((resolve, reject) =>
            pool.getConnection((err, c) => (err || c === undefined ? reject(err) : resolve(c))),
          ),
      ),
    );
    const third = cbQuery(pool, 'SELECT 3 AS t');
    await new Promise((r) => setImmediate(r));
    expect(events).toContain('enqueue');
    for (const c of held) c.release();
    expect(await third).toEqual([{ t: 3 }]);
    expect(pool._allConnections.length).toBeLessThanOrEqual(2);

    // A pooled connection streams like mysql2's (query().stream()).
    const conn = await new Promise<import('../../src/mysql2.js').PoolConnection>((resolve, reject) =>
      pool.getConnection((err, c) => (err || c === undefined ? reject(err) : resolve(c))),
    );
    const fromStream: Rows = [];
    await new Promise<void>((resolve, reject) => {
      const s = conn.query('SELECT 5 AS f').stream();
      s.on('data', (row: Record<string, unknown>) => fromStream.push(row));
      s.on('error', reject);
      s.on('end', () => resolve());
    });
    expect(fromStream).toEqual([{ f: 5 }]);
    conn.release();
  });

  it('the promise pool (aurora-ha/mysql2/promise createPool and pool.promise())', async () => {
    const pool = mysqlPromise.createPool({ ...mysqlConfig(cluster()), ...options, connectionLimit: 2 }) as {
      query(sql: string, values?: unknown[]): Promise<[Rows, unknown]>;
      getConnection(): Promise<{
        execute(sql: string, v: unknown[]): Promise<[Rows, unknown]>;
        release(): void;
      }>;
      end(): Promise<void>;
    };
    harness.track(pool);
    const [rows] = await pool.query('SELECT ? AS x', [7]);
    expect(rows).toEqual([{ x: 7 }]);
    const c = await pool.getConnection();
    const [executed] = await c.execute('SELECT ? AS y', [8]);
    expect(executed).toEqual([{ y: 8 }]);
    c.release();

    const cb = mysql.createPool({ ...mysqlConfig(cluster()), ...options });
    harness.track(endPool(cb));
    const [fromWrapper] = await (cb.promise() as typeof pool).query('SELECT 9 AS z');
    expect(fromWrapper).toEqual([{ z: 9 }]);
  });

  it('a pool cluster of aurora-ha pools (callback and promise)', async () => {
    const pc = mysql.createPoolCluster();
    harness.track(endPool(pc));
    pc.add('w1', { ...mysqlConfig(cluster()), ...options });
    pc.add('w2', { ...mysqlConfig(cluster()), ...options });
    const ids = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<string>((resolve, reject) =>
            pc.getConnection('w*', (err, c) => {
              if (err) return reject(err);
              const id = (c as unknown as { _clusterId: string })._clusterId;
              c.release();
              resolve(id);
            }),
          ),
      ),
    );
    expect(new Set(ids)).toEqual(new Set(['w1', 'w2']));

    const ppc = mysqlPromise.createPoolCluster() as {
      add(id: string, c: object): void;
      of(p: string): { query(sql: string): Promise<[Rows, unknown]> };
      end(): Promise<void>;
    };
    harness.track(ppc);
    ppc.add('only', { ...mysqlConfig(cluster()), ...options });
    const [rows] = await ppc.of('only').query('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});

describe('aurora-ha/mysql2 pool through a writer failover', () => {
  it('idle pooled connections: pool.query retries the never-sent statement once, nobody sees the loss', async () =>
    onFreshCluster(2, async () => {
      const pool = mysql.createPool({ ...mysqlConfig(cluster()), ...FAST, connectionLimit: 4 });
      harness.track(endPool(pool));
      const poolErrors: unknown[] = [];
      pool.on('error', (e) => poolErrors.push(e));
      let opened = 0;
      pool.on('connection', () => opened++);
      // Four connections, then all idle in the pool.
      const held = await Promise.all(
        [1, 2, 3, 4].map(
          () =>
            new Promise<{ release(): void }>((resolve, reject) =>
              pool.getConnection((err, c) => (err || c === undefined ? reject(err) : resolve(c))),
            ),
        ),
      );
      for (const c of held) c.release();
      expect(opened).toBe(4);
      const oldWriter = writerId(cluster());
      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);
      // Every idle socket is dead now: each call's statement is not sent on it, the connection
      // fails over, and pool.query repeats the statement once on the new writer.
      const ids = await Promise.all(
        [1, 2, 3, 4].map(async () => {
          const rows = await cbQuery(pool, 'SELECT @@aurora_server_id AS id');
          return String(rows[0]!.id);
        }),
      );
      expect(new Set(ids)).toEqual(new Set([newWriter]));
      expect(poolErrors).toEqual([]);
      // The pool kept its connections: nothing new was opened by the pool itself.
      expect(opened).toBe(4);
    }));

  it(
    '30 concurrent pool.query on 10 connections: documented errors only, no pool error, no lost write',
    async () =>
      onFreshCluster(2, async () => {
        const LIMIT = 10;
        const WORKERS = 30;
        const pool = mysql.createPool({ ...mysqlConfig(cluster()), ...FAST, connectionLimit: LIMIT });
        harness.track(endPool(pool));
        let opened = 0;
        pool.on('connection', () => opened++);
        const poolErrors: unknown[] = [];
        pool.on('error', (e) => poolErrors.push(e));
        await cbQuery(pool, 'CREATE TABLE IF NOT EXISTS pool_fo (k VARCHAR(64) PRIMARY KEY)');

        const acked: string[] = [];
        const failures: unknown[] = [];
        const phase = { promoted: false };
        const wroteAfter = new Set<number>();
        let stop = false;
        const worker = async (w: number): Promise<void> => {
          for (let i = 0; !stop; i++) {
            const key = `w${w}-${i}`;
            try {
              await cbQuery(pool, 'INSERT INTO pool_fo VALUES (?)', [key]);
              acked.push(key);
              if (phase.promoted) wroteAfter.add(w);
            } catch (err) {
              failures.push(err);
            }
          }
        };
        const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
        // Let every worker write first, then crash the writer.
        while (acked.length < WORKERS * 2) await new Promise((r) => setTimeout(r, 20));
        await cluster().failover();
        phase.promoted = true;
        const deadline = Date.now() + 30_000;
        while (wroteAfter.size < WORKERS && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        stop = true;
        await Promise.all(running);

        expect(poolErrors).toEqual([]);
        for (const f of failures) {
          const documented =
            f instanceof FailoverSuccessError || f instanceof TransactionResolutionUnknownError;
          expect(documented, String(f)).toBe(true);
        }
        expect(wroteAfter.size).toBe(WORKERS);
        expect(opened).toBeLessThanOrEqual(LIMIT + 10);
        const stored = await cbQuery(pool, 'SELECT k FROM pool_fo');
        const keys = new Set(stored.map((r) => String(r.k)));
        const lost = acked.filter((k) => !keys.has(k));
        expect(lost).toEqual([]);
        console.log(
          `[mysql2-pool] failover under load: ${acked.length} writes acknowledged, ${failures.length} failover errors, ${opened} pool connections opened`,
        );
      }),
    120_000,
  );
});

describe('aurora-ha/mysql2 pool where nothing will recover a loss', () => {
  for (const [label, options] of [
    ['the failover plugin with enableFailover: false', { plugins: ['failover'], enableFailover: false }],
    ['no failover plugin (initialConnection only)', { plugins: ['initialConnection'] }],
  ] as const) {
    it(`${label}: a connection lost in a failover leaves the pool, as mysql2's does`, async () =>
      onFreshCluster(2, async () => {
        const pool = mysql.createPool({ ...mysqlConfig(cluster()), ...FAST, ...options, connectionLimit: 2 });
        harness.track(endPool(pool));
        // Two connections in the pool, both idle on the writer.
        await Promise.all([cbQuery(pool, 'SELECT SLEEP(0.2)'), cbQuery(pool, 'SELECT SLEEP(0.2)')]);
        await cluster().failover();
        await cluster().settled();
        // The lost connections were the driver's to report: the pool drops them and opens new
        // ones (through the writer endpoint, on the new writer once DNS follows). Before the
        // fix one of each pair failed forever with "Can't add new command when connection is
        // in closed state".
        const failures: string[] = [];
        const until = Date.now() + 30_000;
        let okInARow = 0;
        while (okInARow < 6 && Date.now() < until) {
          const results = await Promise.allSettled([
            cbQuery(pool, 'SELECT 1 AS n'),
            cbQuery(pool, 'SELECT 1 AS n'),
          ]);
          const failed = results.filter((r) => r.status === 'rejected');
          for (const f of failed) failures.push(String(f.reason));
          okInARow = failed.length === 0 ? okInARow + 2 : 0;
          if (failed.length > 0) await new Promise((r) => setTimeout(r, 500));
        }
        expect(okInARow).toBeGreaterThanOrEqual(6);
        expect(failures.filter((f) => f.includes('closed state'))).toEqual([]);
      }));
  }
});
