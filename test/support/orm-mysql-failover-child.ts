/**
 * Child process of orm-mysql-failover.test.ts: every MySQL ORM (test/support/orm-mysql-apps.ts)
 * at once on ONE 3-instance emulated MariaDB cluster, through ONE writer failover, each ORM with
 * its own pool and table and 10 workers writing uniquely keyed rows. Prints one line
 * `RESULT <json>` (what each ORM's application saw), ends everything it opened, prints `ended`
 * and must then exit by itself (the parent measures that).
 *
 * Client socket connects are counted per ORM: `net.Socket.prototype.connect` is wrapped, and a
 * connect is attributed to the ORM whose async context made it (each ORM's setup and workers run
 * in an AsyncLocalStorage context of their own; the emulator's sockets run in none).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import { findFailoverError, isFailoverError, isRecoveredFailover } from '../../src/index.js';
import { startCluster } from '../../src/emulator.js';
import { createConnection } from '../../src/mysql2-promise.js';
import type { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from './cluster.js';
import { FAST_FAILOVER } from './failover-harness.js';
import { MYSQL_ORMS, mysqlOrmApp } from './orm-mysql-apps.js';
import type { MysqlOrmApp, MysqlOrmName } from './orm-mysql-apps.js';

export const WORKERS = 10;
/** How long after promotion the child keeps waiting for every worker to write again. */
const RECOVERY_WAIT_MS = 20_000;
/** Pause of a worker between two writes, and after a failed one. */
const PACE_MS = 10;
const AFTER_ERROR_MS = 25;
/** Plugins of every ORM's connections: failover2 (one monitor per cluster, shared) unless told otherwise. */
const PLUGINS = (process.env.ORM_MYSQL_PLUGINS ?? 'failover2').split(',').filter((p) => p !== '');

/** One failure the application received, as the test checks it. */
export interface SeenError {
  /** Class name of what the ORM threw. */
  thrown: string;
  message: string;
  /** Name of the aurora-ha failover error found inside it (isFailoverError), if any. */
  found: string | undefined;
  recovered: boolean;
  statementSent: boolean | undefined;
  /** The driver-level code (mysql2 / Node) when it is not ours. */
  code: string | undefined;
}

export interface OrmFailoverResult {
  name: MysqlOrmName;
  poolSize: number;
  acked: number;
  errors: SeenError[];
  /** Per worker: ms from `promoted` to its first acknowledged write after it (null: none). */
  recoveryMs: (number | null)[];
  /** Client socket connects of this ORM from the failover's start until all workers recovered. */
  connectsDuringFailover: number;
  /** Acknowledged keys missing from the table afterwards. */
  lost: string[];
  /** Workers still inside a call when told to stop (a hang). */
  stuckWorkers: number;
}

export interface ChildResult {
  plugins: string[];
  promotedAfterMs: number;
  unattributedConnects: number;
  orms: OrmFailoverResult[];
}

const store = new AsyncLocalStorage<MysqlOrmName>();

function countConnects(port: number): { times: Map<MysqlOrmName | 'none', number[]>; stop(): void } {
  const original = net.Socket.prototype.connect;
  const times = new Map<MysqlOrmName | 'none', number[]>();
  const portOf = (args: unknown[]): unknown => {
    let first = args[0];
    if (Array.isArray(first)) first = first[0]; // net.connect() passes its normalized [options, cb]
    if (typeof first === 'object' && first !== null) return Number((first as { port?: unknown }).port);
    return Number(first);
  };
  const wrapped = function (this: net.Socket, ...args: unknown[]): net.Socket {
    if (portOf(args) === port) {
      const who = store.getStore() ?? 'none';
      const list = times.get(who) ?? [];
      list.push(Date.now());
      times.set(who, list);
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = wrapped;
  return {
    times,
    stop: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

function describeError(err: unknown): SeenError {
  const ours = findFailoverError(err);
  let code: string | undefined;
  for (let e: unknown = err, d = 0; typeof e === 'object' && e !== null && d < 5; d++) {
    const x = e as { code?: unknown; parent?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof x.code === 'string') {
      code = x.code;
      break;
    }
    e = x.parent ?? x.driverError ?? x.cause;
  }
  return {
    thrown: (err as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof err,
    message: err instanceof Error ? err.message.slice(0, 300) : String(err),
    found: isFailoverError(err) ? ours?.name : undefined,
    recovered: isRecoveredFailover(err),
    statementSent: (ours as { statementSent?: boolean } | undefined)?.statementSent,
    code,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  app: MysqlOrmApp;
  acked: { key: string; at: number; worker: number }[];
  errors: SeenError[];
  inFlight: number;
  workers: Promise<void>[];
}

async function main(): Promise<void> {
  const cluster = await startCluster({ engine: 'mysql', instances: 3 });
  const counter = countConnects(cluster.writerEndpoint.port);
  const config = { ...mysqlConfig(cluster), ...FAST_FAILOVER, plugins: PLUGINS };
  // failover2's monitor is one per cluster per process, shared by every pool: opened here, in no
  // ORM's context, its probes count as unattributed rather than as the first ORM's.
  let holder: PromiseConnection | undefined;
  let stop = false;
  const runs: Run[] = [];
  try {
    holder = await createConnection(config);
    for (const name of MYSQL_ORMS) {
      const app = mysqlOrmApp(name, config);
      const run: Run = { app, acked: [], errors: [], inFlight: 0, workers: [] };
      runs.push(run);
      await store.run(name, async () => {
        await app.createTable();
        const worker = async (w: number): Promise<void> => {
          for (let i = 0; !stop; i++) {
            const key = `${w}-${i}`;
            run.inFlight++;
            try {
              await app.insert(key, name);
              run.acked.push({ key, at: Date.now(), worker: w });
              await sleep(PACE_MS);
            } catch (err) {
              run.errors.push(describeError(err));
              await sleep(AFTER_ERROR_MS);
            } finally {
              run.inFlight--;
            }
          }
        };
        for (let w = 0; w < WORKERS; w++) run.workers.push(worker(w));
      });
    }
    // Every worker of every ORM has written before the writer dies.
    const steady = Date.now() + 30_000;
    const allWrote = (after: number): boolean =>
      runs.every((r) => new Set(r.acked.filter((a) => a.at > after).map((a) => a.worker)).size === WORKERS);
    while (!allWrote(0) && Date.now() < steady) await sleep(50);

    const failoverStart = Date.now();
    await cluster.failover();
    const promoted = cluster.timeline().find((e) => e.kind === 'promoted' && e.at >= failoverStart);
    const promotedAt = promoted?.at ?? Date.now();
    const deadline = promotedAt + RECOVERY_WAIT_MS;
    while (!allWrote(promotedAt) && Date.now() < deadline) await sleep(50);
    const failoverEnd = Date.now();
    stop = true;
    // A worker stuck in a call is a finding, not a reason to hang the child.
    await Promise.race([Promise.all(runs.flatMap((r) => r.workers)), sleep(15_000)]);

    const orms: OrmFailoverResult[] = [];
    for (const run of runs) {
      const name = run.app.name as MysqlOrmName;
      const stored = new Set(await run.app.keys());
      const recoveryMs: (number | null)[] = [];
      for (let w = 0; w < WORKERS; w++) {
        const first = run.acked.find((a) => a.worker === w && a.at > promotedAt);
        recoveryMs.push(first === undefined ? null : first.at - promotedAt);
      }
      orms.push({
        name,
        poolSize: run.app.poolSize,
        acked: run.acked.length,
        errors: run.errors,
        recoveryMs,
        connectsDuringFailover: (counter.times.get(name) ?? []).filter(
          (t) => t >= failoverStart && t <= failoverEnd,
        ).length,
        lost: run.acked.filter((a) => !stored.has(a.key)).map((a) => a.key),
        stuckWorkers: run.inFlight,
      });
    }
    const result: ChildResult = {
      plugins: PLUGINS,
      promotedAfterMs: promotedAt - failoverStart,
      unattributedConnects: (counter.times.get('none') ?? []).filter(
        (t) => t >= failoverStart && t <= failoverEnd,
      ).length,
      orms,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    stop = true;
    counter.stop();
    await Promise.all(runs.map((r) => r.app.close().catch(() => undefined)));
    await holder?.end().catch(() => undefined);
    await cluster.stop();
  }
  process.stdout.write('ended\n');
}

await main();
