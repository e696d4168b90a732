/**
 * Child process of orm-mysql-failover.test.ts: every MySQL ORM (test/support/orm-mysql-apps.ts)
 * at once on ONE 3-instance emulated MariaDB cluster, through ONE writer failover, each ORM with
 * its own pool and table and 10 workers writing uniquely keyed rows (every other write a
 * two-row transaction of the ORM's own API). Prints one line
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
import type { TimelineEvent } from '../../src/emulator.js';
import { createConnection } from '../../src/mysql2-promise.js';
import type { PromiseConnection } from '../../src/mysql2-promise.js';
import { fromHostProbe, fromMonitor } from './connect-origin.js';
import { MYSQL_ORMS, mysqlOrmApp } from './orm-mysql-apps.js';
import type { MysqlOrmApp, MysqlOrmName } from './orm-mysql-apps.js';

export const WORKERS = 10;
/** How long after promotion the child keeps waiting for every worker to write again. */
const RECOVERY_WAIT_MS = 20_000;
/** Pause of a worker between two writes, and after a failed one (60 workers share this process with the emulator's proxies). */
const PACE_MS = 30;
const AFTER_ERROR_MS = 25;
/** Writes every worker makes before the writer dies. */
const STEADY_WRITES = 3;
/** The ORMs to run (default: all of them). */
const ORMS = MYSQL_ORMS.filter((n) => (process.env.ORM_MYSQL_ONLY ?? n).split(',').includes(n));
/** Whether a failed initial connect fails over too (ORMs that open connections during the failover). */
const CONNECT_FAILOVER = process.env.ORM_MYSQL_CONNECT_FAILOVER !== '0';
/** failover-harness.ts's FAST_FAILOVER (that module imports vitest, which a plain child cannot). */
const FAST_FAILOVER = {
  failoverTimeoutMs: 20_000,
  failoverClusterTopologyRefreshRateMs: 200,
  failoverWriterReconnectIntervalMs: 200,
  failoverReaderConnectTimeoutMs: 3_000,
};
/** Plugins of every ORM's connections: failover2 (one monitor per cluster, shared) unless told otherwise. */
const PLUGINS = (process.env.ORM_MYSQL_PLUGINS ?? 'failover2').split(',').filter((p) => p !== '');
/**
 * `ORM_MYSQL_OPTIONS=none`: no aurora-ha option at all (no plugins, no enableConnectFailover, no
 * fast failover settings), as a user who plugs aurora-ha/mysql2 in and configures nothing.
 */
const OPTIONS_ENV = process.env.ORM_MYSQL_OPTIONS;
/** Cluster endpoints' DNS lag after the failover (`ORM_MYSQL_DNS_LAG_MS`, default 0). */
const DNS_LAG_MS = Number(process.env.ORM_MYSQL_DNS_LAG_MS ?? 0);
/** The aurora-ha options every ORM's connections get (`ORM_MYSQL_OPTIONS` may also be a JSON object of them). */
const AURORA_OPTIONS: Record<string, unknown> =
  OPTIONS_ENV === 'none'
    ? {}
    : OPTIONS_ENV !== undefined
      ? (JSON.parse(OPTIONS_ENV) as Record<string, unknown>)
      : { ...FAST_FAILOVER, plugins: PLUGINS, enableConnectFailover: CONNECT_FAILOVER };

/** One failure the application received, as the test checks it. */
export interface SeenError {
  /** When it was received (ms since epoch). */
  at: number;
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
  /** Of those, the ones refused (ECONNREFUSED: the DNS lag's old writer). */
  refusedDuringFailover: number;
  /** Acknowledged keys missing from the table afterwards. */
  lost: string[];
  /** Transactions of which one row is stored and the other is not. */
  halfApplied: string[];
  /** Transactions started (every other write of a worker). */
  transactions: number;
  /** aurora-ha pools: connections still checked out once the workers stopped (null: not our pool). */
  checkedOut: number | null;
  /** Workers still inside a call when told to stop (a hang). */
  stuckWorkers: number;
}

export interface ChildResult {
  /** The aurora-ha options given (`{}`: none, the library's defaults). */
  options: Record<string, unknown>;
  plugins: string[];
  enableConnectFailover: boolean;
  promotedAt: number;
  timeline: TimelineEvent[];
  promotedAfterMs: number;
  unattributedConnects: number;
  /** Connects of failover2's monitor (shared by all pools) during the failover. */
  monitorConnects: number;
  /** Host monitoring's probe connects in the same window (shared by the process's pools). */
  probeConnects: number;
  /**
   * ms for as many plain logins + `SELECT 1` as all pools hold, at once, to the new writer,
   * measured right after the recovery while the workers still write: what the pools' reconnects
   * queue behind on this machine now (the recovery bound is derived from it).
   */
  loginsMs: number;
  orms: OrmFailoverResult[];
}

const store = new AsyncLocalStorage<MysqlOrmName>();

/** Who made a connect: an ORM, failover2's shared monitor, or nobody we know (the emulator). */
type Counted = MysqlOrmName | 'monitor' | 'probe' | 'none';

/**
 * Count `connect()` calls to the cluster's port per ORM. The emulator's engines listen on the same
 * port as their fault proxies (instance k: proxy 127.a.b.k, engine 127.a.b.(100+k)), so the
 * proxies' upstream sockets are left out by address.
 */
function countConnects(
  port: number,
  engineAddresses: ReadonlySet<string>,
): { times: Map<Counted, number[]>; refused: Map<Counted, number[]>; stop(): void } {
  const original = net.Socket.prototype.connect;
  const times = new Map<Counted, number[]>();
  const refused = new Map<Counted, number[]>();
  const target = (args: unknown[]): { port: number; host: string } => {
    let first = args[0];
    if (Array.isArray(first)) first = first[0]; // net.connect() passes its normalized [options, cb]
    if (typeof first === 'object' && first !== null) {
      const o = first as { port?: unknown; host?: unknown };
      return { port: Number(o.port), host: typeof o.host === 'string' ? o.host : '' };
    }
    return { port: Number(first), host: typeof args[1] === 'string' ? args[1] : '' };
  };
  const wrapped = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const to = target(args);
    if (to.port === port && !engineAddresses.has(to.host)) {
      const who = fromMonitor() ? 'monitor' : fromHostProbe() ? 'probe' : (store.getStore() ?? 'none');
      const at = Date.now();
      const list = times.get(who) ?? [];
      list.push(at);
      times.set(who, list);
      // Refused ones apart: they are the DNS lag's, not sessions opened on an instance.
      this.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNREFUSED') return;
        const r = refused.get(who) ?? [];
        r.push(at);
        refused.set(who, r);
      });
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = wrapped;
  return {
    times,
    refused,
    stop: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

/** The engines' internal addresses (see countConnects). */
function engineAddresses(instances: readonly { address: string }[]): Set<string> {
  const out = new Set<string>();
  for (const { address } of instances) {
    const parts = address.split('.');
    if (parts.length === 4) out.add(`${parts.slice(0, 3).join('.')}.${Number(parts[3]) + 100}`);
  }
  return out;
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
    at: Date.now(),
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
  /** First keys of the transactions started (acknowledged or not). */
  transactions: string[];
}

/** ms for `n` plain connections (no plugin) opened at once to connect and answer `SELECT 1`. */
async function concurrentLogins(config: Record<string, unknown>, n: number): Promise<number> {
  const started = Date.now();
  const conns: PromiseConnection[] = [];
  try {
    await Promise.all(
      Array.from({ length: n }, async () => {
        // No connect timeout: the time it takes is what is measured.
        const c = await createConnection({ ...config, plugins: [], connectTimeout: 120_000 });
        conns.push(c);
        await c.query('SELECT 1');
      }),
    );
    return Date.now() - started;
  } finally {
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster({ engine: 'mysql', instances: 3, dnsLagMs: DNS_LAG_MS });
  const counter = countConnects(cluster.writerEndpoint.port, engineAddresses(cluster.instances()));
  const config = {
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    ...cluster.credentials,
    ...AURORA_OPTIONS,
  };
  // failover2's monitor is one per cluster per process, shared by every pool: opened here, in no
  // ORM's context, its probes count as unattributed rather than as the first ORM's.
  let holder: PromiseConnection | undefined;
  let stop = false;
  const runs: Run[] = [];
  try {
    holder = await createConnection(config);
    for (const name of ORMS) {
      const app = mysqlOrmApp(name, config);
      const run: Run = { app, acked: [], errors: [], inFlight: 0, workers: [], transactions: [] };
      runs.push(run);
      await store.run(name, async () => {
        await app.createTable();
        const worker = async (w: number): Promise<void> => {
          for (let i = 0; !stop; i++) {
            const key = `${w}-${i}`;
            run.inFlight++;
            try {
              // Every other write is a two-row transaction of the ORM's own API.
              if (i % 2 === 1) {
                run.transactions.push(key);
                await app.inTransaction(key, false);
                run.acked.push({ key: `${key}/2`, at: Date.now(), worker: w });
              } else await app.insert(key, name);
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
    const allWrote = (after: number, times = 1): boolean =>
      runs.every((r) => {
        const perWorker = new Map<number, number>();
        for (const a of r.acked)
          if (a.at > after) perWorker.set(a.worker, (perWorker.get(a.worker) ?? 0) + 1);
        return perWorker.size === WORKERS && [...perWorker.values()].every((n) => n >= times);
      });
    while (!allWrote(0, STEADY_WRITES) && Date.now() < steady) await sleep(50);

    const failoverStart = Date.now();
    const { newWriter } = await cluster.failover();
    const promoted = cluster.timeline().find((e) => e.kind === 'promoted' && e.at >= failoverStart);
    const promotedAt = promoted?.at ?? Date.now();
    const deadline = promotedAt + RECOVERY_WAIT_MS;
    while (!allWrote(promotedAt) && Date.now() < deadline) await sleep(50);
    const failoverEnd = Date.now();
    const writerHost = cluster.instances().find((i) => i.id === newWriter)!.host;
    const loginsMs = await concurrentLogins(
      { host: writerHost, port: cluster.writerEndpoint.port, ...cluster.credentials },
      runs.reduce((n, r) => n + r.app.poolSize, 0),
    );
    stop = true;
    // A worker stuck in a call is a finding, not a reason to hang the child.
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(runs.flatMap((r) => r.workers)),
      new Promise((r) => {
        guard = setTimeout(r, 15_000);
      }),
    ]);
    clearTimeout(guard);

    const orms: OrmFailoverResult[] = [];
    for (const run of runs) {
      const name = run.app.name as MysqlOrmName;
      // Read back with retries: a read may itself meet a connection lost in the failover.
      let stored: Set<string> | undefined;
      for (let attempt = 0; stored === undefined; attempt++) {
        try {
          stored = new Set(await run.app.keys());
        } catch (err) {
          run.errors.push(describeError(err));
          if (attempt >= 2) throw err;
        }
      }
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
        refusedDuringFailover: (counter.refused.get(name) ?? []).filter(
          (t) => t >= failoverStart && t <= failoverEnd,
        ).length,
        lost: run.acked.filter((a) => !stored.has(a.key)).map((a) => a.key),
        halfApplied: run.transactions.filter((k) => stored.has(k) !== stored.has(`${k}/2`)),
        checkedOut: run.app.checkedOut?.() ?? null,
        transactions: run.transactions.length,
        stuckWorkers: run.inFlight,
      });
    }
    const result: ChildResult = {
      options: AURORA_OPTIONS,
      plugins: PLUGINS,
      enableConnectFailover: CONNECT_FAILOVER,
      promotedAt,
      timeline: cluster.timeline().filter((e) => e.at >= failoverStart),
      promotedAfterMs: promotedAt - failoverStart,
      unattributedConnects: (counter.times.get('none') ?? []).filter(
        (t) => t >= failoverStart && t <= failoverEnd,
      ).length,
      monitorConnects: (counter.times.get('monitor') ?? []).filter(
        (t) => t >= failoverStart && t <= failoverEnd,
      ).length,
      probeConnects: (counter.times.get('probe') ?? []).filter((t) => t >= failoverStart && t <= failoverEnd)
        .length,
      loginsMs,
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
