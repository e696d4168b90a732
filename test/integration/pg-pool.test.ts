/**
 * `aurora-ha/pg` Pool against real PostgreSQL through the emulator: pg's Pool API over our
 * Clients (with `plugins: []` and the default plugins), then writer failovers under load:
 * callers see only our documented errors, `pool.query()` hides a loss whose statement was never
 * sent, the pool keeps its clients, no `'error'` reaches the pool, and it opens at most
 * max + 10 connections while failing over.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import { Client, Pool } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, writerId } from '../support/failover-harness.js';

interface Ended {
  end(): Promise<unknown>;
}
const harness = failoverHarness<Ended>('postgres', 2);
const { cluster, onFreshCluster } = harness;

function pool(options: Record<string, unknown> = {}): Pool {
  const p = new Pool({ ...pgConfig(cluster()), ...options });
  let ended = false;
  harness.track({
    end: () => {
      if (ended) return Promise.resolve();
      ended = true;
      return p.end();
    },
  });
  const originalEnd = p.end.bind(p);
  (p as unknown as { end: () => Promise<void> }).end = () => {
    ended = true;
    return originalEnd();
  };
  return p;
}

async function instanceId(q: { query: Pool['query'] }): Promise<string> {
  const r = await q.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
  return r.rows[0]!.id;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('Pool with %s', (_label, options) => {
  it('is pg.Pool with our Clients: query, connect/release, events, counts, end', async () => {
    const p = pool({ ...options, max: 3 });
    expect(p).toBeInstanceOf(pg.Pool);
    const events: string[] = [];
    for (const e of ['connect', 'acquire', 'release', 'remove'] as const) p.on(e, () => events.push(e));
    const r = await p.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
    expect(r.rows).toEqual([{ n: 42 }]);
    const c = await p.connect();
    expect(c).toBeInstanceOf(Client);
    expect(await c.query('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] });
    expect(p.totalCount).toBe(1);
    expect(p.idleCount).toBe(0);
    c.release();
    expect(p.idleCount).toBe(1);
    const cb = await new Promise<unknown>((resolve, reject) =>
      p.query('SELECT 2 AS two', (err: Error | undefined, res: unknown) =>
        err ? reject(err) : resolve(res),
      ),
    );
    expect(cb).toMatchObject({ rows: [{ two: 2 }] });
    const parallel = await Promise.all([1, 2, 3, 4, 5].map((i) => p.query('SELECT $1::int AS i', [i])));
    expect(parallel.map((x) => x.rows[0].i)).toEqual([1, 2, 3, 4, 5]);
    expect(p.totalCount).toBeLessThanOrEqual(3);
    expect(events).toContain('connect');
    expect(events).toContain('acquire');
    expect(events).toContain('release');
    await p.end();
    await vi.waitFor(() =>
      expect(events.filter((e) => e === 'remove').length).toBe(events.filter((e) => e === 'connect').length),
    );
    expect(p.ended).toBe(true);
  });

  it('a client released with a real driver error is removed, as in pg-pool', async () => {
    const p = pool({ ...options, max: 2 });
    const c = await p.connect();
    await expect(c.query('SELECT nope FROM nowhere')).rejects.toMatchObject({ code: '42P01' });
    c.release(new Error('the application says this client is broken'));
    expect(p.totalCount).toBe(0);
    await p.end();
  });
});

describe('Pool across a writer failover', () => {
  it('idle pooled clients: pool.query retries the never-sent statement once, nobody sees the loss', async () =>
    onFreshCluster(2, async () => {
      const p = pool({ ...FAST, max: 4 });
      const poolErrors: unknown[] = [];
      const removed: unknown[] = [];
      p.on('error', (e) => poolErrors.push(e));
      p.on('remove', (c) => removed.push(c));
      // Four clients, then all idle.
      const held = await Promise.all([1, 2, 3, 4].map(() => p.connect()));
      const before = new Set(held);
      for (const c of held) c.release();
      const oldWriter = writerId(cluster());
      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);
      // Every idle socket is dead now; each call gets a client whose loss is recovered first.
      const ids = await Promise.all([1, 2, 3, 4].map(() => instanceId(p)));
      expect(new Set(ids)).toEqual(new Set([newWriter]));
      expect(poolErrors).toEqual([]);
      expect(removed).toEqual([]);
      expect(p.totalCount).toBe(4);
      const after = await Promise.all([1, 2, 3, 4].map(() => p.connect()));
      for (const c of after) {
        expect(before.has(c)).toBe(true);
        c.release();
      }
      await p.end();
    }));

  it('40 concurrent callers on a pool of 10: only documented errors, clients kept, no pool error, <= max + 10 connections', async () =>
    onFreshCluster(2, async () => {
      const MAX = 10;
      const p = pool({ ...FAST, max: MAX });
      await p.query('CREATE TABLE IF NOT EXISTS pool_fo (id serial PRIMARY KEY, w int NOT NULL)');
      const poolErrors: unknown[] = [];
      const removed: unknown[] = [];
      p.on('error', (e) => poolErrors.push(e));
      p.on('remove', (c) => removed.push(c));
      // Warm the pool to its size.
      await Promise.all(Array.from({ length: MAX * 2 }, () => p.query('SELECT pg_sleep(0.05)')));
      expect(p.totalCount).toBe(MAX);

      let stop = false;
      let failingOver = false;
      let connectsDuringFailover = 0;
      const connect = pg.Client.prototype.connect;
      // Connections opened (a connect that succeeded) while failing over: pooled clients'
      // replacements, readers probed, topology monitors. Attempts that fail open nothing.
      vi.spyOn(pg.Client.prototype, 'connect').mockImplementation(function (
        this: pg.Client,
        ...args: unknown[]
      ) {
        const counted = failingOver;
        const r = (connect as (...a: unknown[]) => unknown).apply(this, args);
        if (counted && r instanceof Promise)
          r.then(
            () => connectsDuringFailover++,
            () => undefined,
          );
        return r as never;
      });
      const unexpected: unknown[] = [];
      const documented: unknown[] = [];
      const acknowledged: number[] = [];
      let promotedAt = 0;
      const writeAgainAt: number[] = [];
      const worker = async (w: number): Promise<void> => {
        let wroteAfterPromotion = false;
        while (!stop) {
          try {
            const r = await p.query<{ id: number }>('INSERT INTO pool_fo (w) VALUES ($1) RETURNING id', [w]);
            acknowledged.push(r.rows[0]!.id);
            if (promotedAt > 0 && !wroteAfterPromotion) {
              wroteAfterPromotion = true;
              writeAgainAt.push(Date.now() - promotedAt);
            }
          } catch (err) {
            if (err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError) {
              documented.push(err);
            } else unexpected.push(err);
          }
        }
      };
      const workers = Array.from({ length: 40 }, (_, w) => worker(w));
      await new Promise((r) => setTimeout(r, 300));
      failingOver = true;
      const { newWriter } = await cluster().failover();
      promotedAt = Date.now();
      // Let every worker write on the new writer, then stop.
      await vi.waitFor(() => expect(writeAgainAt.length).toBe(40), { timeout: 30_000, interval: 100 });
      failingOver = false;
      stop = true;
      await Promise.all(workers);

      expect(unexpected).toEqual([]);
      for (const e of documented) expect((e as FailoverSuccessError).statementSent).toBe(true); // never-sent ones were retried
      expect(poolErrors).toEqual([]);
      expect(removed).toEqual([]);
      expect(p.totalCount).toBe(MAX);
      expect(connectsDuringFailover).toBeLessThanOrEqual(MAX + 10);
      expect(await instanceId(p)).toBe(newWriter);
      // No acknowledged write is lost.
      const r = await p.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pool_fo WHERE id = ANY($1::int[])',
        [acknowledged],
      );
      expect(r.rows[0]!.n).toBe(acknowledged.length);
      console.log(
        `[pg-pool] failover under 40 callers: ${documented.length} documented errors, ${connectsDuringFailover} connects, slowest worker back after ${Math.max(...writeAgainAt)} ms`,
      );
      await p.end();
    }));
});
