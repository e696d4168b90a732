/**
 * Issue 23 on a real engine (one file per engine calls this): a pool of 12 on the reader cluster
 * endpoint with `leastConnections` holds 4/4/4 over three readers, and after `addReader()`,
 * recycling each connection once spreads it 3/3/3/3 (counts are the pool's own); reads through
 * a pool on the reader cluster endpoint while a reader dies — 20 read workers on a pool of 12 (`leastConnections`,
 * the default plugins), a reader crashed, then a reader blackholed (host monitoring detects it):
 * **no error reaches the application** and every read returns the right rows (a table of 100
 * known rows, read with the answering instance's id). And the limit of the rule: a read after a
 * session-changing statement (PG `SET search_path`, MySQL `SET @tenant`) on a dying reader ends in the
 * documented FailoverSuccessError — never in rows of the wrong schema.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { Client, Pool } from '../../src/pg.js';
import mysql from '../../src/mysql2-promise.js';
import { mysqlConfig, pgConfig, startTestCluster } from './cluster.js';
import { FAST_FAILOVER, rejection, writerId } from './failover-harness.js';
import { DETECTION } from './host-monitoring-suite.js';

type Engine = 'postgres' | 'mysql';

const WORKERS = 20;
const POOL_SIZE = 12;
const ROWS = 100;
const SUM = (ROWS * (ROWS + 1)) / 2;
/** Reads before the fault, and after it (each worker must read again after the fault). */
const BEFORE_MS = 1_500;
const AFTER_MS = 4_000;

interface Read {
  id: string;
  n: number;
  s: number;
}

/** One pool on the reader endpoint, engine-neutral: a read of the known table, and end(). */
interface ReaderPool {
  read(): Promise<Read>;
  end(): Promise<void>;
}

const OPTIONS = {
  ...FAST_FAILOVER,
  ...DETECTION,
  readerHostSelectorStrategy: 'leastConnections',
} as const;

function readerPool(engine: Engine, c: EmulatedCluster): ReaderPool {
  const host = c.readerEndpoint.host;
  if (engine === 'postgres') {
    const pool = new Pool({ ...pgConfig(c, host), ...OPTIONS, max: POOL_SIZE });
    return {
      read: async () => {
        const r = await pool.query<{ id: string; n: number; s: number }>(
          'SELECT pg_catalog.aurora_db_instance_identifier() AS id, count(*)::int AS n, coalesce(sum(v), 0)::int AS s FROM reads_items',
        );
        return r.rows[0]!;
      },
      end: () => pool.end(),
    };
  }
  const pool = mysql.createPool({ ...mysqlConfig(c, host), ...OPTIONS, connectionLimit: POOL_SIZE });
  return {
    read: async () => {
      const [rows] = await pool.query(
        'SELECT @@aurora_server_id AS id, count(*) AS n, coalesce(sum(v), 0) AS s FROM reads_items',
      );
      const row = (rows as Record<string, unknown>[])[0]!;
      return { id: String(row.id), n: Number(row.n), s: Number(row.s) };
    },
    end: () => pool.end(),
  };
}

/** A pooled connection checked out and held: the instance it is on, and how to destroy it. */
interface Held {
  id: string;
  destroy(): void;
  release(): void;
}

/** A pool whose connections are checked out and held (to see where each one is). */
interface HoldingPool {
  checkout(): Promise<Held>;
  end(): Promise<void>;
}

function holdingPool(engine: Engine, c: EmulatedCluster, extra: Record<string, unknown> = {}): HoldingPool {
  const host = c.readerEndpoint.host;
  // A fast topology refresh: the added reader (or a reader's lag) is known within half a second.
  const options = { ...OPTIONS, clusterTopologyRefreshRateMs: 500, ...extra };
  if (engine === 'postgres') {
    const pool = new Pool({ ...pgConfig(c, host), ...options, max: POOL_SIZE });
    return {
      checkout: async () => {
        const client = await pool.connect();
        const r = await client.query<{ id: string }>(
          'SELECT pg_catalog.aurora_db_instance_identifier() AS id',
        );
        return { id: r.rows[0]!.id, destroy: () => client.release(true), release: () => client.release() };
      },
      end: () => pool.end(),
    };
  }
  const pool = mysql.createPool({ ...mysqlConfig(c, host), ...options, connectionLimit: POOL_SIZE });
  return {
    checkout: async () => {
      const conn = await pool.getConnection();
      const [rows] = await conn.query('SELECT @@aurora_server_id AS id');
      return {
        id: String((rows as { id: unknown }[])[0]!.id),
        destroy: () => conn.destroy(),
        release: () => conn.release(),
      };
    },
    end: () => pool.end(),
  };
}

function spread(held: readonly Held[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of held) out[h.id] = (out[h.id] ?? 0) + 1;
  return out;
}

/** Resolves when aurora-ha's topology reports `host` as a new reader (aurora-ha:topology). */
function readerAdded(hostPrefix: string, withinMs: number): { seen: Promise<void>; stop(): void } {
  let stop = (): void => undefined;
  const seen = new Promise<void>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      const e = m as { event?: string; added?: readonly string[] };
      if (e.event === 'readers-changed' && e.added?.some((h) => h.startsWith(hostPrefix)) === true) {
        stop();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`aurora-ha never learnt the reader ${hostPrefix} within ${withinMs} ms`));
    }, withinMs);
    timer.unref();
    stop = () => {
      clearTimeout(timer);
      diagnostics.unsubscribe('aurora-ha:topology', onMessage);
    };
    diagnostics.subscribe('aurora-ha:topology', onMessage);
  });
  return { seen, stop };
}

interface Run {
  errors: string[];
  wrong: Read[];
  /** Reads by answering instance, after the fault. */
  after: Map<string, number>;
  /** Workers that read successfully after the fault. */
  recovered: number;
  readsBefore: number;
}

/** WORKERS read loops on `pool`; `fault` runs after BEFORE_MS; the loops stop AFTER_MS later. */
async function readThrough(pool: ReaderPool, fault: () => Promise<void>): Promise<Run> {
  const run: Run = { errors: [], wrong: [], after: new Map(), recovered: 0, readsBefore: 0 };
  let faultAt = Infinity;
  let stop = false;
  const worker = async (): Promise<void> => {
    let readAfter = false;
    while (!stop) {
      const started = Date.now();
      try {
        const r = await pool.read();
        if (r.n !== ROWS || r.s !== SUM) run.wrong.push(r);
        if (started >= faultAt) {
          run.after.set(r.id, (run.after.get(r.id) ?? 0) + 1);
          readAfter = true;
        } else run.readsBefore++;
      } catch (err) {
        run.errors.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      }
    }
    if (readAfter) run.recovered++;
  };
  const workers = Array.from({ length: WORKERS }, worker);
  await new Promise((r) => setTimeout(r, BEFORE_MS));
  faultAt = Date.now();
  await fault();
  await new Promise((r) => setTimeout(r, AFTER_MS));
  stop = true;
  await Promise.all(workers);
  return run;
}

/** Wait (bounded) until every reader has replayed the seeded rows. */
async function replicated(engine: Engine, c: EmulatedCluster): Promise<void> {
  const until = Date.now() + 30_000;
  for (const inst of c.instances().filter((i) => i.role === 'reader')) {
    for (;;) {
      const n = await countOn(engine, c, inst.host).catch(() => -1);
      if (n === ROWS) break;
      if (Date.now() > until) throw new Error(`${inst.id} never replayed the seeded rows (saw ${n})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function countOn(engine: Engine, c: EmulatedCluster, host: string): Promise<number> {
  if (engine === 'postgres') {
    const client = new Client({ ...pgConfig(c, host), plugins: [] });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM reads_items')).rows[0]!.n;
    } finally {
      await client.end();
    }
  }
  const conn = await mysql.createConnection({ ...mysqlConfig(c, host), plugins: [] });
  try {
    const [rows] = await conn.query('SELECT count(*) AS n FROM reads_items');
    return Number((rows as { n: unknown }[])[0]!.n);
  } finally {
    await conn.end();
  }
}

async function seed(engine: Engine, c: EmulatedCluster): Promise<void> {
  const statements =
    engine === 'postgres'
      ? [
          'CREATE TABLE reads_items (v int NOT NULL)',
          `INSERT INTO reads_items SELECT g FROM generate_series(1, ${ROWS}) g`,
          'CREATE SCHEMA reads_right',
          "CREATE TABLE reads_right.t AS SELECT 'right'::text AS v",
          "CREATE TABLE public.t AS SELECT 'wrong'::text AS v",
        ]
      : [
          'CREATE TABLE reads_items (v int NOT NULL)',
          `INSERT INTO reads_items (v) WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ${ROWS}) SELECT x FROM g`,
          // The test user has one database: the session state is a user variable the read filters by.
          "CREATE TABLE t AS SELECT 'right' AS v",
          "INSERT INTO t VALUES ('wrong')",
        ];
  if (engine === 'postgres') {
    const client = new Client({ ...pgConfig(c), plugins: [] });
    await client.connect();
    for (const sql of statements) await client.query(sql);
    await client.end();
  } else {
    const conn = await mysql.createConnection({ ...mysqlConfig(c), plugins: [] });
    for (const sql of statements) await conn.query(sql);
    await conn.end();
  }
  await replicated(engine, c);
}

function expectNoReadError(run: Run, faulty: string, c: EmulatedCluster): void {
  expect(run.errors, 'errors that reached the application').toEqual([]);
  expect(run.wrong, 'reads with wrong rows').toEqual([]);
  expect(run.readsBefore).toBeGreaterThan(WORKERS);
  // Every worker read again after the fault, from the readers still up — never the writer.
  expect(run.recovered).toBe(WORKERS);
  expect([...run.after.keys()]).not.toContain(faulty);
  expect([...run.after.keys()]).not.toContain(writerId(c));
}

export function readerPoolSuite(engine: Engine): void {
  describe(`reader pools on ${engine}: no read error when a reader dies (issue 23)`, () => {
    let cluster: EmulatedCluster | undefined;
    const c = (): EmulatedCluster => {
      if (cluster === undefined) throw new Error('cluster not started');
      return cluster;
    };
    beforeAll(async () => {
      cluster = await startTestCluster({ engine, instances: 4 });
      await seed(engine, cluster);
    }, 240_000);
    afterAll(async () => {
      await cluster?.stop();
    }, 120_000);

    it(`a pool of ${POOL_SIZE} with leastConnections holds 4/4/4 over three readers; after addReader(), recycling each connection once gives 3/3/3/3`, async () => {
      const pool = holdingPool(engine, c());
      const readers = c()
        .instances()
        .filter((i) => i.role === 'reader')
        .map((i) => i.id);
      expect(readers).toHaveLength(3);
      const out: Held[] = [];
      try {
        const held = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.checkout()));
        out.push(...held);
        expect(spread(held)).toEqual(Object.fromEntries(readers.map((id) => [id, 4])));
        const added = await c().addReader();
        const learnt = readerAdded(added.host, 10_000);
        await learnt.seen;
        // Each connection once, one at a time: closed by the application, replaced by the pool.
        const recycled: Held[] = [];
        for (const h of held) {
          h.destroy();
          out.splice(out.indexOf(h), 1);
          const next = await pool.checkout();
          out.push(next);
          recycled.push(next);
        }
        console.log(
          `[reader-pool ${engine}] after addReader + recycling: ${JSON.stringify(spread(recycled))}`,
        );
        expect(spread(recycled)).toEqual(Object.fromEntries([...readers, added.id].map((id) => [id, 3])));
      } finally {
        // pg's pool.end() waits for every checked-out client.
        for (const h of out) h.release();
        await pool.end();
      }
    }, 120_000);

    it(`a reader held until it lags past maxReplicaLagMs 1000: no connection of the pool stays or goes there (the idle ones move at checkout); after release() it gets its share again`, async () => {
      const pool = holdingPool(engine, c(), { maxReplicaLagMs: 1_000 });
      const out: Held[] = [];
      /** All connections checked out at once, their spread, all given back. */
      const round = async (recycle: boolean): Promise<Record<string, number>> => {
        const held = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.checkout()));
        out.push(...held);
        const s = spread(held);
        for (const h of held) {
          out.splice(out.indexOf(h), 1);
          if (recycle) h.destroy();
          else h.release();
        }
        return s;
      };
      const untilSpread = async (
        ok: (s: Record<string, number>) => boolean,
        recycle: boolean,
        what: string,
      ): Promise<Record<string, number>> => {
        const until = Date.now() + 20_000;
        for (;;) {
          const s = await round(recycle);
          if (ok(s)) return s;
          if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(s)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      let victim = '';
      try {
        const readers = c()
          .instances()
          .filter((i) => i.role === 'reader')
          .map((i) => i.id);
        const first = await round(false);
        expect(Object.keys(first).sort()).toEqual([...readers].sort());
        victim = readers[0]!;
        await c().hold(victim);
        const held = Date.now();
        // The same 12 idle connections, checked out again and again: once the topology shows the
        // lag, the ones on the held reader move before they are handed out.
        const away = await untilSpread(
          (s) => s[victim] === undefined,
          false,
          'the held reader keeps connections',
        );
        console.log(
          `[reader-pool ${engine}] ${victim} held: after ${Date.now() - held} ms no connection there: ${JSON.stringify(away)}`,
        );
        expect(Object.values(away).reduce((a, b) => a + b, 0)).toBe(POOL_SIZE);
        await c().release(victim);
        const released = Date.now();
        // Caught up: recycled connections (new ones) go to it again.
        const back = await untilSpread((s) => (s[victim] ?? 0) > 0, true, 'the released reader gets nothing');
        console.log(
          `[reader-pool ${engine}] ${victim} released: after ${Date.now() - released} ms back: ${JSON.stringify(back)}`,
        );
        victim = '';
      } finally {
        for (const h of out) h.release();
        await pool.end();
        if (victim !== '') await c().release(victim);
      }
    }, 120_000);

    it(`a reader crash under ${WORKERS} read workers on a pool of ${POOL_SIZE}: 0 errors, every read right`, async () => {
      const pool = readerPool(engine, c());
      const victim = (await pool.read()).id;
      try {
        const run = await readThrough(pool, () => c().crash(victim));
        console.log(
          `[reader-pool ${engine}] crash of ${victim}: ${run.readsBefore} reads before, after by instance ${JSON.stringify(Object.fromEntries(run.after))}, errors ${run.errors.length}`,
        );
        expectNoReadError(run, victim, c());
      } finally {
        await pool.end();
        await c().reboot(victim);
        await c().settled();
      }
    }, 120_000);

    it(`a silent (blackholed) reader under ${WORKERS} read workers, host monitoring on: 0 errors, every read right`, async () => {
      const pool = readerPool(engine, c());
      const victim = (await pool.read()).id;
      try {
        const run = await readThrough(pool, async () => {
          c().partition(victim, { mode: 'blackhole' });
          return Promise.resolve();
        });
        console.log(
          `[reader-pool ${engine}] blackhole of ${victim}: ${run.readsBefore} reads before, after by instance ${JSON.stringify(Object.fromEntries(run.after))}, errors ${run.errors.length}`,
        );
        expectNoReadError(run, victim, c());
      } finally {
        c().heal(victim);
        await pool.end();
      }
    }, 120_000);

    it(`a read after ${engine === 'postgres' ? 'SET search_path' : 'SET @tenant'} on a dying reader: the documented FailoverSuccessError, never rows of the wrong schema`, async () => {
      // On a new session the read would see the other schema's table (PG) or no filter value (MySQL).
      const change = engine === 'postgres' ? 'SET search_path TO reads_right' : "SET @tenant = 'right'";
      const slowRead =
        engine === 'postgres'
          ? 'SELECT v, pg_sleep(1) FROM t'
          : 'SELECT v, SLEEP(1) AS z FROM t WHERE v = @tenant';
      const host = c().readerEndpoint.host;
      let victim = '';
      let read: () => Promise<string>;
      let end: () => Promise<void>;
      let id: () => Promise<string>;
      if (engine === 'postgres') {
        const client = new Client({ ...pgConfig(c(), host), ...OPTIONS });
        await client.connect();
        await client.query(change);
        read = async () => (await client.query<{ v: string }>(slowRead)).rows[0]!.v;
        id = async () =>
          (await client.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id'))
            .rows[0]!.id;
        end = () => client.end();
      } else {
        const conn = await mysql.createConnection({ ...mysqlConfig(c(), host), ...OPTIONS });
        await conn.query(change);
        read = async () => String(((await conn.query(slowRead))[0] as { v: unknown }[])[0]!.v);
        id = async () =>
          String(((await conn.query('SELECT @@aurora_server_id AS id'))[0] as { id: unknown }[])[0]!.id);
        end = () => conn.end();
      }
      try {
        expect(await read()).toBe('right');
        victim = await id();
        const inFlight = rejection(read());
        await new Promise((r) => setTimeout(r, 200));
        await c().crash(victim);
        const outcome = await inFlight;
        // Never 'wrong': either the documented error or, had the state been restored, 'right'.
        expect(outcome).toBeInstanceOf(FailoverSuccessError);
        expect(await id()).not.toBe(victim);
      } finally {
        await end();
        if (victim !== '') {
          await c().reboot(victim);
          await c().settled();
        }
      }
    }, 120_000);
  });
}
