/**
 * Issue 10 "Done means", PostgreSQL side: a writer failover under concurrent load through each
 * ORM on `aurora-ha/pg` (Knex, Kysely, Drizzle, Sequelize, TypeORM), each plugged in as it
 * documents (Knex `connectionPool`, Kysely `PostgresDialect({ pool })`, Drizzle
 * `drizzle(pool)`, Sequelize `dialectModule: createDriver(...)`, TypeORM `driver:
 * createDriver(...)`), with failover v2. All five run at once, each in its own child process
 * (its own pool, table and socket-connect count; its own exit), on ONE 3-instance cluster
 * through ONE `cluster.failover()`. For each ORM:
 * - the application sees only aurora-ha's failover outcomes, found through the ORM's wrapper
 *   with isFailoverError;
 * - each of its 10 workers writes again within 5 s of the emulator's `promoted` event (or, on a
 *   loaded machine, 2 s + the time 50 logins take there, measured in the run: `RECOVERY_MS`);
 * - its process opens at most pool size + 10 connections from the fault to the end;
 * - no acknowledged write is missing from the table afterwards, and no two-row transaction
 *   (every other write) left one row without the other;
 * - no crash, and the process exits by itself once the ORM is closed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { MONITOR_LINGER_MS } from '../../src/topology/topology-monitors.js';
import { Client } from '../../src/pg.js';
import { namesOf, pgConfig, useCluster } from '../support/cluster.js';
import type { ChildSettings, ChildSummary, OrmName } from '../support/orm-pg-failover-child.js';

/**
 * The cluster endpoints follow a failover 5 s late (the children learn the switch from the
 * parent): the ORMs' own pools replace lost connections through the writer endpoint meanwhile,
 * which is where a user's defaults used to fail (issue 20).
 */
const DNS_LAG_MS = 5_000;
const cluster = useCluster({ engine: 'postgres', instances: 3, dnsLagMs: DNS_LAG_MS });

const CHILD = resolve(import.meta.dirname, '../support/orm-pg-failover-child.ts');
const ORMS: readonly OrmName[] = ['knex', 'kysely', 'drizzle', 'sequelize', 'typeorm'];
const WORKERS = 10;
const POOL_SIZE = 10;
/**
 * Socket connects by the pool and its failover during the failover: each pooled connection moves
 * once (POOL_SIZE), and the ORM's own pool may replace each one once (Sequelize does after
 * TransactionResolutionUnknownErrors). A replacement made during the DNS lag costs two connects:
 * one refused by the old writer behind the stale cluster endpoint, then, through
 * enableConnectFailover, one to the verified writer. How many get replaced depends on how many
 * calls were in flight, i.e. on the load: a quiet run sees 3 of 10, a CI run beside a second suite
 * saw 35 connects in all (the old bound, 27, assumed one connect per replacement). A storm
 * (connects growing with retries) goes far past this, and the refused ones are bounded apart.
 */
const POOL_CONNECTS = POOL_SIZE + 2 * POOL_SIZE;
/** At most one refused connect per replacement: nothing retries the stale endpoint. */
const POOL_REFUSED = POOL_SIZE;
/**
 * The child's own failover2 monitor is counted apart (as the MySQL test does): it probes every
 * instance, and an instance that refuses (the old writer) is connected to again after each
 * backoff pause (src/topology/writer-search.ts: 100 ms doubling to 1 s, jittered down to half),
 * so its count grows with how long the outage lasts — on a loaded machine the promotion takes
 * longer. What must hold is the schedule: per instance, no more connects within the span of its
 * connects than that backoff allows, plus one (the connect that succeeds after a refusal).
 */
const PROBE_RETRY_BASE_MS = 100;
const PROBE_RETRY_MAX_MS = 1000;
const PROBE_JITTER_LOW = 0.5;
/** Most connects one probe makes to a refusing host within `spanMs` (the first one at 0). */
function probeConnectsWithin(spanMs: number): number {
  let n = 1;
  let t = 0;
  for (let i = 0; ; i++) {
    const pause = PROBE_JITTER_LOW * Math.min(PROBE_RETRY_MAX_MS, PROBE_RETRY_BASE_MS * 2 ** i);
    if (t + pause > spanMs) return n;
    t += pause;
    n++;
  }
}
/**
 * Issue 10: every worker writes again within this of `promoted` — on a machine with CPU to spare.
 * What takes the time is the protocol (failover2's monitor verifies the new writer within one
 * probe backoff step, ≤ 1 s, a reader is asked again every ≤ 500 ms, each waiter's connects back
 * off to at most 500 ms: ≤ 2 s, `PROTOCOL_MS`) plus 50 logins (5 ORMs × 10 pooled connections)
 * queueing at the new writer. On the 2-core machine shared with other sessions (load 8–15) those
 * logins alone took 3–4 s, so the bound is `max(RECOVERY_MS, PROTOCOL_MS + logins)`, where
 * `logins` is measured in the same run, under the same load: 50 plain connects + `SELECT 1` to
 * the new writer at once, while the five children still write.
 */
const RECOVERY_MS = 5_000;
const PROTOCOL_MS = 2_000;

/** ms for `n` plain pg connections opened at once to `host` to connect and answer `SELECT 1`. */
async function concurrentLogins(c: EmulatedCluster, host: string, n: number): Promise<number> {
  const started = Date.now();
  // pg's 5 s connect timeout of pgConfig is what is being measured here: no timeout.
  const clients = Array.from(
    { length: n },
    () => new Client({ ...pgConfig(c, host), connectionTimeoutMillis: 0, plugins: [] }),
  );
  try {
    await Promise.all(
      clients.map(async (cl) => {
        await cl.connect();
        await cl.query('SELECT 1');
      }),
    );
    return Date.now() - started;
  } finally {
    await Promise.all(clients.map((cl) => cl.end().catch(() => undefined)));
  }
}
/** From `stop` to the child's exit (its workers finish, it checks the table, closes the ORM). */
const STOP_WITHIN_MS = 20_000;
/**
 * Five children (node + tsx + one ORM each) starting at once and warming a pool of 10: ~5 s on a
 * quiet machine, more than 40 s beside a second suite (load 8–13 on 2 cores: 'knex never ready'
 * failed there, issue 19). Not what the test measures; it only must end.
 */
const READY_WITHIN_MS = 120_000;
/** After printing `ended`, the child must be gone within the monitor's linger plus this. */
const EXIT_MARGIN_MS = 4_000;

interface Child {
  orm: OrmName;
  proc: ChildProcessByStdio<Writable, Readable, Readable>;
  output: string;
  messages: Record<string, unknown>[];
  endedAt: number | undefined;
  exit: Promise<number | null>;
  exitedAt: number | undefined;
}

const children: Child[] = [];
function killChildren(): void {
  for (const c of children) if (c.exitedAt === undefined) c.proc.kill('SIGKILL');
}
// A run that failed half way leaves its children writing: the next run must not compete with them.
afterEach(killChildren);
afterAll(killChildren);

function start(orm: OrmName, c: EmulatedCluster, run: Run): Child {
  const cfg = pgConfig(c);
  const settings: ChildSettings = {
    orm,
    table: `orm_fo_${run.name}_${orm}`,
    ...(run.aurora === undefined ? {} : { aurora: run.aurora }),
    workers: WORKERS,
    poolSize: POOL_SIZE,
    names: namesOf(c),
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ORM_CHILD: JSON.stringify(settings) },
  });
  const child: Child = {
    orm,
    proc,
    output: '',
    messages: [],
    endedAt: undefined,
    exit: undefined!,
    exitedAt: undefined,
  };
  let pending = '';
  proc.stdout.on('data', (d: Buffer) => {
    child.output += d.toString();
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('@@')) continue;
      const msg = JSON.parse(line.slice(2)) as Record<string, unknown>;
      child.messages.push(msg);
      if (msg.ended === true) child.endedAt = Date.now();
    }
  });
  proc.stderr.on('data', (d: Buffer) => {
    child.output += d.toString();
  });
  child.exit = new Promise((resolveExit) => {
    proc.on('exit', (code) => {
      child.exitedAt = Date.now();
      resolveExit(code);
    });
  });
  children.push(child);
  return child;
}

function message(c: Child, key: string): Record<string, unknown> | undefined {
  return c.messages.find((m) => key in m);
}

/** Resolves once every child said `key` (or one of them failed / exited), or after `ms`. */
async function allSaid(list: Child[], key: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (list.every((c) => message(c, key) !== undefined)) return;
    if (list.some((c) => message(c, 'fatal') !== undefined || c.exitedAt !== undefined)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function send(list: Child[], line: string): void {
  for (const c of list) if (c.exitedAt === undefined) c.proc.stdin.write(`${line}\n`);
}

/** One run of the five ORMs: its table prefix and the aurora-ha options of every ORM (undefined: the child's). */
interface Run {
  name: string;
  aurora: Record<string, unknown> | undefined;
}

const RUNS: readonly (Run & { title: string })[] = [
  {
    name: 'v2',
    aurora: undefined,
    title: "{ plugins: ['failover2'], enableConnectFailover: true }",
  },
  // Issue 20: as a user would, with no aurora-ha option at all (the default plugins
  // initialConnection, failover2, hostMonitoring; every setting at its default).
  { name: 'defaults', aurora: {}, title: 'no aurora-ha option at all' },
];

describe('ORMs on aurora-ha/pg through a writer failover under load', () => {
  it.each(RUNS)(
    'Knex, Kysely, Drizzle, Sequelize and TypeORM, $title: only our errors, recovery within the bound, bounded connects, no lost write, clean exit',
    async (run) => {
      const c = cluster();
      // The previous run's failover has finished (the old writer is a reader again).
      await c.settled();
      const setup = new Client({ ...pgConfig(c), plugins: [] });
      await setup.connect();
      for (const orm of ORMS) {
        await setup.query(`CREATE TABLE orm_fo_${run.name}_${orm} (k text PRIMARY KEY, w integer NOT NULL)`);
      }
      await setup.end();

      const list = ORMS.map((orm) => start(orm, c, run));
      await allSaid(list, 'ready', READY_WITHIN_MS);
      for (const ch of list)
        expect(
          message(ch, 'ready'),
          `${ch.orm} never ready (exit ${ch.exitedAt === undefined ? 'none' : 'yes'}; ready: ${list
            .filter((x) => message(x, 'ready') !== undefined)
            .map((x) => x.orm)
            .join(',')}):\n${ch.output}`,
        ).toBeDefined();

      const failoverAt = Date.now();
      send(list, `failover ${failoverAt}`);
      const failover = c.failover();
      let promotedAt: number | undefined;
      let dnsSent = false;
      const until = Date.now() + 30_000;
      while (Date.now() < until && (promotedAt === undefined || !dnsSent)) {
        const events = c.timeline().filter((e) => e.at >= failoverAt);
        const promoted = events.find((e) => e.kind === 'promoted');
        if (promoted !== undefined && promotedAt === undefined) {
          promotedAt = promoted.at;
          send(list, `promoted ${promotedAt}`);
        }
        if (!dnsSent && events.some((e) => e.kind === 'dns-switched')) {
          dnsSent = true;
          send(list, `names ${JSON.stringify(namesOf(c))}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(promotedAt, 'the emulator never promoted a reader').toBeDefined();
      await allSaid(list, 'recovered', RECOVERY_MS + 10_000);
      const { newWriter } = await failover;
      const writerHost = c.instances().find((i) => i.id === newWriter)!.host;
      const loginsMs = await concurrentLogins(c, writerHost, ORMS.length * POOL_SIZE);
      const recoveryBound = Math.max(RECOVERY_MS, PROTOCOL_MS + loginsMs);
      console.log(
        `[${run.name}] ${ORMS.length * POOL_SIZE} logins at once to the new writer took ${loginsMs} ms: recovery bound ${recoveryBound} ms`,
      );
      // A second of steady writes on the new writer before stopping.
      await new Promise((r) => setTimeout(r, 1000));
      send(list, 'stop');
      for (const ch of list) ch.proc.stdin.end();
      // A child that does not finish within this is killed and reported (its output shows where it hung).
      const codes = await Promise.all(
        list.map((ch) =>
          Promise.race([
            ch.exit,
            new Promise<'hung'>((r) => setTimeout(() => r('hung'), STOP_WITHIN_MS).unref()),
          ]),
        ),
      );
      for (const ch of list) if (ch.exitedAt === undefined) ch.proc.kill('SIGKILL');

      for (const [i, ch] of list.entries()) {
        const summary = message(ch, 'summary')?.summary as ChildSummary | undefined;
        const label = `${ch.orm}:\n${ch.output.slice(-3000)}`;
        expect.soft(message(ch, 'fatal'), label).toBeUndefined();
        expect.soft(summary, label).toBeDefined();
        if (summary === undefined) continue;
        expect.soft(summary.foreign, `${ch.orm}: errors other than aurora-ha's`).toEqual([]);
        expect.soft(summary.acked, `${ch.orm}: acknowledged writes`).toBeGreaterThan(WORKERS);
        expect.soft(summary.lost, `${ch.orm}: acknowledged writes missing`).toEqual([]);
        expect.soft(summary.halfTransactions, `${ch.orm}: transactions with one row of two`).toEqual([]);
        for (const d of summary.firstWriteAfterPromotedMs) {
          expect.soft(d, `${ch.orm}: a worker's first write after promotion (ms)`).not.toBeNull();
          expect
            .soft(d ?? Infinity, `${ch.orm}: a worker's first write after promotion (ms)`)
            .toBeLessThanOrEqual(recoveryBound);
        }
        const connectLog = summary.connectLog.join('\n');
        expect
          .soft(summary.connects, `${ch.orm}: the pool's socket connects during the failover:\n${connectLog}`)
          .toBeLessThanOrEqual(POOL_CONNECTS);
        expect
          .soft(summary.refused, `${ch.orm}: the pool's refused connects during the failover:\n${connectLog}`)
          .toBeLessThanOrEqual(POOL_REFUSED);
        for (const [host, times] of Object.entries(summary.monitorConnects)) {
          const span = Math.max(...times) - Math.min(...times);
          expect
            .soft(times.length, `${ch.orm}: monitor connects to ${host} within ${span} ms:\n${connectLog}`)
            .toBeLessThanOrEqual(probeConnectsWithin(span) + 1);
        }
        expect.soft(codes[i], `${ch.orm}: exit code\n${ch.output.slice(-2000)}`).toBe(0);
        expect.soft(ch.endedAt, `${ch.orm}: never ended`).toBeDefined();
        expect
          .soft((ch.exitedAt ?? Infinity) - (ch.endedAt ?? 0), `${ch.orm}: exit after the ORM closed (ms)`)
          .toBeLessThan(MONITOR_LINGER_MS + EXIT_MARGIN_MS);
        // Shown with the results (measurements for the report).
        if (process.env.ORM_CONNECT_LOG !== undefined)
          console.log(`[${run.name}] ${ch.orm} connects:\n${summary.connectLog.join('\n')}`);
        console.log(
          `[${run.name}] ${ch.orm}: acked ${summary.acked}, failover errors ${JSON.stringify(summary.failoverErrors)}, ` +
            `first write after promoted ${JSON.stringify(summary.firstWriteAfterPromotedMs)} ms, connects ${summary.connects} (${summary.refused} refused) + monitor ${Object.values(summary.monitorConnects).flat().length}, ` +
            `transactions ${summary.transactions}, ` +
            `exit ${(ch.exitedAt ?? NaN) - (ch.endedAt ?? NaN)} ms after close`,
        );
      }
    },
    // Children ready, the failover (≤ 30 s), recovery, 50 logins, a second, the stop.
    READY_WITHIN_MS + 30_000 + RECOVERY_MS + 10_000 + 10_000 + STOP_WITHIN_MS + 10_000,
  );
});
