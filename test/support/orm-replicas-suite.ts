/**
 * Every ORM's own read/write splitting on aurora-ha pools (test/support/orm-replicas-apps.ts)
 * through a reader crash and then a writer failover, on a real engine (one file per engine calls
 * this). One 4-instance cluster (writer + 3 readers, the endpoints following role changes
 * `DNS_LAG_MS` late, as Aurora's DNS does); the five ORMs run at once in this process, each with
 * `WRITERS` workers inserting uniquely keyed rows through the ORM's write side and `READERS`
 * workers reading a seeded table through its read side.
 *
 * Asserted per ORM: every read before the writer failover ran on a reader (the answering session
 * is read-only); the crash of the reader that served the most reads costs the reads nothing (no
 * error, right rows; at least one connection really moved off it); through the writer failover,
 * writes end only in aurora-ha's documented outcomes (FailoverSuccessError /
 * TransactionResolutionUnknownError, found in the ORM's error), and reads never error where the
 * ORM lets its read side run in `strict-reader` (`readerOptionsApply`) — elsewhere (Sequelize on
 * PostgreSQL, TypeORM on MySQL) only the documented FailoverSuccessError to the new writer; every
 * ORM reads and writes again after the promotion; every acknowledged key is on the new writer at
 * the end; once the ORMs are closed, every socket they (and aurora-ha under them) opened to the
 * cluster is closed within the topology monitor's linger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFailoverError } from '../../src/index.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { Client } from '../../src/pg.js';
import mysql from '../../src/mysql2-promise.js';
import { MONITOR_LINGER_MS } from '../../src/topology/topology-monitors.js';
import { FAILOVER_CHANNEL, type FailoverMessage } from '../../src/observe/channels.js';
import { mysqlConfig, pgConfig, useCluster } from './cluster.js';
import { traced } from './observability-capture.js';
import {
  REPLICA_ORMS,
  SEED_ROWS,
  SEED_SUM,
  SEED_TABLE,
  readerOptionsApply,
  replicaApp,
  tableOf,
  type Engine,
  type ReplicaApp,
  type ReplicaOrmName,
} from './orm-replicas-apps.js';

export const DNS_LAG_MS = 3_000;
const WRITERS = 2;
const READERS = 3;
const POOL_SIZE = 3;
const WRITE_PAUSE_MS = 50;
const READ_PAUSE_MS = 20;
/** aurora-ha options of every pool (as docs/read-scaling.md's snippets give them). */
export const AURORA = {
  enableConnectFailover: true,
  readerHostSelectorStrategy: 'leastConnections',
} as const;
/**
 * aurora-ha options of the read side, where the ORM lets it have its own: the reader endpoint's
 * default `reader-or-writer` moves a connection whose reader died to the writer when no reader
 * answers (a writer failover restarts every reader at once), and a read is then not sent again
 * (docs/read-scaling.md): `strict-reader` waits for a reader instead.
 */
export const READER_AURORA = { failoverMode: 'strict-reader' } as const;
/** The outcomes a write may end in through a writer failover (docs/failover.md). */
const DOCUMENTED = new Set(['FailoverSuccessError', 'TransactionResolutionUnknownError']);
/** Bounds of the waits on conditions (they end as soon as the condition holds). */
const WARM_WITHIN_MS = 30_000;
const AFTER_CRASH_WITHIN_MS = 15_000;
const AFTER_FAILOVER_WITHIN_MS = 25_000;
/** Reads after the crash, at least this long, before the failover. */
const AFTER_CRASH_MS = 2_000;
/** After the close, sockets to the cluster closed within the topology monitor's linger plus this. */
const CLOSE_MARGIN_MS = 4_000;

interface Stats {
  reads: number;
  readsOnReader: number;
  readsByInstance: Record<string, number>;
  /** Read errors: when, aurora-ha's outcome in it (if any) and the host it moved to. */
  readErrors: { at: number; name: string | undefined; newHost: string | undefined; text: string }[];
  wrongReads: string[];
  /** Time of each read's start, and whether it succeeded. */
  readStarts: number[];
  /** Reads that started before the writer failover and were answered by a session that is not read-only. */
  offReaderBeforeFailover: number;
  acked: Set<string>;
  ackStarts: number[];
  writeOutcomes: Record<string, number>;
  foreignWriteErrors: string[];
}

function newStats(): Stats {
  return {
    reads: 0,
    readsOnReader: 0,
    readsByInstance: {},
    readErrors: [],
    wrongReads: [],
    readStarts: [],
    offReaderBeforeFailover: 0,
    acked: new Set(),
    ackStarts: [],
    writeOutcomes: {},
    foreignWriteErrors: [],
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => {
    setTimeout(r, ms).unref();
  });

/** Resolves when `cond` holds, or throws `what` after `ms`. */
async function until(cond: () => boolean, ms: number, what: () => string): Promise<number> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > ms) throw new Error(`${what()} (waited ${ms} ms)`);
    await sleep(25);
  }
  return Date.now() - started;
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? typeof err}: ${e.message ?? String(err)}`;
}

/** Plain SQL on `host` with no aurora-ha plugin (setup and the final check). */
async function onHost(engine: Engine, c: EmulatedCluster, host: string, sql: string[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  if (engine === 'postgres') {
    const client = new Client({ ...pgConfig(c, host), plugins: [] });
    await client.connect();
    try {
      for (const s of sql) out.push((await client.query(s)).rows);
    } finally {
      await client.end();
    }
    return out;
  }
  const conn = await mysql.createConnection({ ...mysqlConfig(c, host), plugins: [] });
  try {
    for (const s of sql) out.push((await conn.query(s))[0] as unknown[]);
  } finally {
    await conn.end();
  }
  return out;
}

async function seed(engine: Engine, c: EmulatedCluster): Promise<void> {
  const fill =
    engine === 'postgres'
      ? `INSERT INTO ${SEED_TABLE} SELECT g FROM generate_series(1, ${SEED_ROWS}) g`
      : `INSERT INTO ${SEED_TABLE} (v) WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ${SEED_ROWS}) SELECT x FROM g`;
  await onHost(engine, c, c.writerEndpoint.host, [
    `CREATE TABLE ${SEED_TABLE} (v int NOT NULL)`,
    fill,
    ...REPLICA_ORMS.map((o) => `CREATE TABLE ${tableOf(o)} (k varchar(64) PRIMARY KEY, w int NOT NULL)`),
  ]);
  // Every reader has replayed the seed (bounded).
  const deadline = Date.now() + 30_000;
  for (const inst of c.instances().filter((i) => i.role === 'reader')) {
    for (;;) {
      const rows = await onHost(engine, c, inst.host, [`SELECT count(*) AS n FROM ${SEED_TABLE}`]).catch(
        () => [[{ n: -1 }]],
      );
      const n = Number((rows[0]![0] as { n: unknown }).n);
      if (n === SEED_ROWS) break;
      if (Date.now() > deadline) throw new Error(`${inst.id} never replayed the seed (saw ${n})`);
      await sleep(100);
    }
  }
}

/** Client sockets this process opens to the cluster's port while `on` (the ORMs' and aurora-ha's). */
interface Tracked {
  socket: net.Socket;
  /** The ORM whose work opened it (async context), and where. */
  orm: string;
  host: string;
  stack: string;
}
const ormContext = new AsyncLocalStorage<string>();

function trackSockets(port: number): { sockets: Tracked[]; on: boolean; restore(): void } {
  const original = net.Socket.prototype.connect;
  const tracker = {
    sockets: [] as Tracked[],
    on: false,
    restore: () => {
      net.Socket.prototype.connect = original;
    },
  };
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
    let first = args[0];
    if (Array.isArray(first)) first = first[0];
    const opts =
      typeof first === 'object' && first !== null ? (first as { port?: unknown; host?: unknown }) : undefined;
    const p = opts !== undefined ? opts.port : first;
    if (tracker.on && Number(p) === port)
      tracker.sockets.push({
        socket: this,
        orm: ormContext.getStore() ?? '?',
        host: String(opts?.host ?? args[1]),
        stack: new Error('connect').stack ?? '',
      });
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  return tracker;
}

export function ormReplicasSuite(engine: Engine): void {
  const cluster = useCluster({ engine, instances: 4, dnsLagMs: DNS_LAG_MS });

  describe(`ORM replica routing on aurora-ha (${engine}): a reader crash, then a writer failover`, () => {
    it('Drizzle withReplicas, TypeORM replication, Sequelize replication, Kysely and Knex (two instances): no read error through a reader crash, only documented outcomes through a failover, nothing acknowledged lost, clean close', async () => {
      const c = cluster();
      const t0 = Date.now();
      await seed(engine, c);
      const cfg = {
        writerHost: c.writerEndpoint.host,
        readerHost: c.readerEndpoint.host,
        port: c.writerEndpoint.port,
        user: c.credentials.user,
        password: c.credentials.password,
        database: c.credentials.database,
        poolSize: POOL_SIZE,
        aurora: { ...AURORA },
        readerAurora: { ...READER_AURORA },
      };
      const cleanups: (() => void)[] = [];
      // aurora-ha's failovers (moves of a connection), to see the crash hit live reader connections.
      const failovers = traced<FailoverMessage>(FAILOVER_CHANNEL, cleanups);
      const tracker = trackSockets(c.writerEndpoint.port);
      tracker.on = true;
      const apps = new Map<ReplicaOrmName, ReplicaApp>();
      const stats = new Map<ReplicaOrmName, Stats>();
      let stopping = false;
      let failoverAt = Infinity;
      const workers: Promise<void>[] = [];
      try {
        for (const name of REPLICA_ORMS) {
          const app = replicaApp(name, engine, cfg);
          apps.set(name, app);
          stats.set(name, newStats());
        }
        await Promise.all([...apps.values()].map((a) => ormContext.run(a.name, () => a.start())));

        for (const [name, app] of apps) {
          const st = stats.get(name)!;
          for (let w = 0; w < WRITERS; w++)
            workers.push(
              ormContext.run(name, async () => {
                for (let n = 0; !stopping; n++) {
                  const k = `${w}-${n}`;
                  const started = Date.now();
                  try {
                    await app.insert(k, w);
                    st.acked.add(k);
                    st.ackStarts.push(started);
                  } catch (err) {
                    const ours = findFailoverError(err);
                    if (ours !== undefined && DOCUMENTED.has(ours.name))
                      st.writeOutcomes[ours.name] = (st.writeOutcomes[ours.name] ?? 0) + 1;
                    else st.foreignWriteErrors.push(describeError(err));
                  }
                  await sleep(WRITE_PAUSE_MS);
                }
              }),
            );
          for (let r = 0; r < READERS; r++)
            workers.push(
              ormContext.run(name, async () => {
                while (!stopping) {
                  const started = Date.now();
                  try {
                    const read = await app.read();
                    st.reads++;
                    st.readStarts.push(started);
                    if (read.readOnly) st.readsOnReader++;
                    else if (started < failoverAt) st.offReaderBeforeFailover++;
                    st.readsByInstance[read.id] = (st.readsByInstance[read.id] ?? 0) + 1;
                    if (read.n !== SEED_ROWS || read.s !== SEED_SUM)
                      st.wrongReads.push(`${read.id}: ${read.n} rows, sum ${read.s}`);
                  } catch (err) {
                    const ours = findFailoverError(err);
                    st.readErrors.push({
                      at: Date.now(),
                      name: ours?.name,
                      newHost: ours !== undefined && 'newHost' in ours ? String(ours.newHost) : undefined,
                      text: describeError(err),
                    });
                  }
                  await sleep(READ_PAUSE_MS);
                }
              }),
            );
        }

        // Every ORM wrote and read on a reader.
        const warmMs = await until(
          () => [...stats.values()].every((s) => s.acked.size > 0 && s.readsOnReader > 0),
          WARM_WITHIN_MS,
          () =>
            `not every ORM wrote and read on a reader: ${[...stats].map(([n, s]) => `${n} ${s.acked.size}/${s.readsOnReader}`).join(', ')}`,
        );
        await sleep(1_000);
        const before = new Map([...stats].map(([n, s]) => [n, s.readsOnReader]));

        // Crash the reader that served the most reads.
        const byInstance: Record<string, number> = {};
        for (const s of stats.values())
          for (const [id, n] of Object.entries(s.readsByInstance)) byInstance[id] = (byInstance[id] ?? 0) + n;
        const readers = c.instances().filter((i) => i.role === 'reader');
        const victim = readers.reduce((a, b) => ((byInstance[b.id] ?? 0) > (byInstance[a.id] ?? 0) ? b : a));
        const crashAt = Date.now();
        await c.crash(victim.id);
        const afterCrashMs = await until(
          () => [...stats.values()].every((s) => s.readStarts.some((t) => t > crashAt)),
          AFTER_CRASH_WITHIN_MS,
          () => 'not every ORM read again after the crash',
        );
        await sleep(Math.max(0, AFTER_CRASH_MS - afterCrashMs));
        // Connections moved off the crashed reader (reads resent, idle ones moved at their next use).
        const movedOffVictim = failovers.asyncEnd.filter(
          (f) => f.startedAt >= crashAt && f.oldHost?.startsWith(`${victim.host}:`) === true,
        );
        expect(movedOffVictim.length, 'connections moved off the crashed reader').toBeGreaterThan(0);

        // Fail the writer over.
        failoverAt = Date.now();
        const { newWriter } = await c.failover();
        const promoted = c.timeline().find((e) => e.at >= failoverAt && e.kind === 'promoted');
        const promotedAt = promoted?.at ?? Date.now();
        const recoveredMs = await until(
          () =>
            [...stats.values()].every(
              (s) => s.ackStarts.some((t) => t > promotedAt) && s.readStarts.some((t) => t > promotedAt),
            ),
          AFTER_FAILOVER_WITHIN_MS,
          () =>
            `not every ORM wrote and read after the promotion: ${[...stats]
              .map(
                ([n, s]) =>
                  `${n} write ${s.ackStarts.some((t) => t > promotedAt)} read ${s.readStarts.some((t) => t > promotedAt)}`,
              )
              .join(', ')}`,
        );
        await sleep(1_000);
        stopping = true;
        await Promise.all(workers);

        // Close every ORM; every socket to the cluster is closed soon after.
        const closeAt = Date.now();
        await Promise.all([...apps.values()].map((a) => ormContext.run(a.name, () => a.close())));
        apps.clear();
        tracker.on = false;
        const open = (): Tracked[] => tracker.sockets.filter((s) => !s.socket.destroyed);
        const openAfter = (): number => open().length;
        await until(
          () => openAfter() === 0,
          MONITOR_LINGER_MS + CLOSE_MARGIN_MS,
          () =>
            `${openAfter()} of ${tracker.sockets.length} sockets to the cluster still open after the close`,
        ).catch(() => undefined);
        const closedMs = Date.now() - closeAt;
        expect
          .soft(
            open().map(
              (t) =>
                `${t.orm} → ${t.host} (ref ${String((t.socket as unknown as { _handle?: { hasRef?(): boolean } })._handle?.hasRef?.())})\n${t.stack}`,
            ),
            `sockets to the cluster still open ${closedMs} ms after the close`,
          )
          .toEqual([]);

        // Every acknowledged key is on the new writer.
        const writerHost = c.instances().find((i) => i.id === newWriter)!.host;
        const present = await onHost(
          engine,
          c,
          writerHost,
          REPLICA_ORMS.map((o) => `SELECT k FROM ${tableOf(o)}`),
        );
        for (const [i, name] of REPLICA_ORMS.entries()) {
          const st = stats.get(name)!;
          const keys = new Set((present[i] as { k: string }[]).map((r) => r.k));
          const lost = [...st.acked].filter((k) => !keys.has(k));
          const beforeFailover = st.readErrors.filter((e) => e.at < failoverAt).map((e) => e.text);
          const duringFailover = st.readErrors.filter((e) => e.at >= failoverAt);
          const onNewWriter = st.reads - st.readsOnReader;
          console.log(
            `[${engine}] ${name}: reads ${st.reads} (${st.readsOnReader} on readers, before the crash ${before.get(name)}; by instance ${JSON.stringify(st.readsByInstance)}), ` +
              `read errors ${beforeFailover.length} through the crash, ${duringFailover.length} through the failover ${JSON.stringify(duringFailover.map((e) => e.name ?? e.text))}, reads on the writer ${onNewWriter}, writes acked ${st.acked.size}, lost ${lost.length}, outcomes ${JSON.stringify(st.writeOutcomes)}, foreign ${st.foreignWriteErrors.length}`,
          );
          expect.soft(before.get(name), `${name}: reads on a reader before the crash`).toBeGreaterThan(0);
          expect
            .soft(st.offReaderBeforeFailover, `${name}: reads not on a reader before the writer failover`)
            .toBe(0);
          expect.soft(beforeFailover, `${name}: read errors through the reader crash`).toEqual([]);
          if (readerOptionsApply(name, engine))
            expect
              .soft(
                duringFailover.map((e) => e.text),
                `${name}: read errors through the writer failover (read side in strict-reader)`,
              )
              .toEqual([]);
          // The read side in the reader endpoint's default reader-or-writer: a read whose reader
          // restarted while no other reader answered moved to the writer and ends in the
          // documented FailoverSuccessError (docs/read-scaling.md), nothing else.
          else
            expect
              .soft(
                duringFailover
                  .filter(
                    (e) => e.name !== 'FailoverSuccessError' || !e.newHost?.startsWith(`${writerHost}:`),
                  )
                  .map((e) => e.text),
                `${name}: read errors through the writer failover other than FailoverSuccessError to the new writer ${writerHost}`,
              )
              .toEqual([]);
          expect.soft(st.wrongReads, `${name}: reads with wrong rows`).toEqual([]);
          expect.soft(st.foreignWriteErrors.slice(0, 10), `${name}: write errors not ours`).toEqual([]);
          expect.soft(st.acked.size, `${name}: acknowledged writes`).toBeGreaterThan(WRITERS);
          expect.soft(lost, `${name}: acknowledged keys missing on the new writer`).toEqual([]);
        }
        console.log(
          `[${engine}] crashed ${victim.id} (reads before: ${JSON.stringify(byInstance)}; ${movedOffVictim.length} connections moved off it, ` +
            `to ${JSON.stringify(countBy(movedOffVictim.map((f) => f.newHost?.split('.')[0] ?? 'none')))}), new writer ${newWriter}; ` +
            `warm ${warmMs} ms, every ORM read after the crash within ${afterCrashMs} ms, wrote and read after promotion within ${recoveredMs} ms, ` +
            `sockets closed ${closedMs} ms after close (${tracker.sockets.length} opened), test ${Date.now() - t0} ms`,
        );
      } finally {
        stopping = true;
        await Promise.all(workers);
        await Promise.all([...apps.values()].map((a) => a.close().catch(() => undefined)));
        tracker.restore();
        for (const f of cleanups) f();
      }
    }, 120_000);
  });
}
