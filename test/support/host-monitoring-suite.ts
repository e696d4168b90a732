/**
 * The host monitoring tests, run on both engines by test/integration/host-monitoring-*.test.ts:
 * a silent host (the fault proxy's blackhole, or the emulator's silent failover) must end a
 * call in the failover plugin's documented outcome within the detection bound; a long healthy
 * call must not be aborted; no probe while idle; one monitor for many connections.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';
import { hostMonitorStats } from '../../src/plugins/host-monitoring/monitor-registry.js';
import { detectionBoundMs } from '../../src/plugins/host-monitoring/monitor-settings.js';
import { mysqlConfig, pgConfig } from './cluster.js';
import { FAST_FAILOVER, failoverHarness, rejection, sessionsOn, writerId } from './failover-harness.js';

/** The settings: detection bound 1000 + 100 (one sampling period) + 500 × 2 = 2100 ms. */
export const DETECTION = {
  failureDetectionTimeMs: 1000,
  failureDetectionIntervalMs: 500,
  failureDetectionCount: 2,
};
const SETTINGS = { graceMs: 1000, intervalMs: 500, count: 2 };
const BOUND_MS = detectionBoundMs(SETTINGS);
/** The earliest an abort may come: the grace and `count` silent probes (a command seen at once). */
const EARLIEST_MS = SETTINGS.graceMs + SETTINGS.intervalMs * SETTINGS.count;
/** The bound + 20 % (the acceptance figure: ≤ 2.5 s with a little room for this busy machine). */
const OUTCOME_MS = BOUND_MS * 1.25;
/**
 * Timers between a call and its outcome: the grace, one sampling period and `count` probe
 * intervals. Each fires late by at most the worst event-loop delay seen meanwhile.
 */
const TIMERS_IN_DETECTION = 2 + SETTINGS.count;

/**
 * What the machine's load adds to an outcome, measured in the same run (issue 19: a bound that
 * failed beside a second suite — 2.7–3.5 s against 2.6 s — is derived from what it measures, not
 * retried): every timer of the detection late by the worst event-loop delay seen during the call,
 * and the failover's reconnect as slow as one plain login + `SELECT` to the instance it reached
 * takes right after (the 25 % margin covers that on a quiet machine, ~30 ms). Quiet, both terms
 * are a few ms and the bound stays the issue's.
 */
class LoadAllowance {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  constructor() {
    this.delay.enable();
  }
  /** Stop measuring the event loop; the allowance for the detection's timers (ms). */
  timers(): number {
    this.delay.disable();
    return (TIMERS_IN_DETECTION * this.delay.max) / 1e6;
  }
}

/** One engine's connection, reduced to what these tests need. */
export interface TestConnection {
  connect(): Promise<void>;
  /** Rows as objects. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

function pgConnection(c: EmulatedCluster, host: string | undefined, options: object): TestConnection {
  const client = new Client({ ...pgConfig(c, host), ...options });
  return {
    connect: async () => {
      await client.connect();
    },
    rows: async (sql) => (await client.query<Record<string, unknown>>(sql)).rows,
    end: () => client.end(),
  };
}

function mysqlConnection(c: EmulatedCluster, host: string | undefined, options: object): TestConnection {
  const conn = new PromiseConnection({ ...mysqlConfig(c, host), ...options });
  return {
    connect: () => conn.connect(),
    rows: async (sql) => ((await conn.query(sql)) as [Record<string, unknown>[], unknown])[0],
    end: () => conn.end(),
  };
}

function sleepSql(engine: 'postgres' | 'mysql', seconds: number): string {
  return engine === 'postgres' ? `SELECT pg_sleep(${seconds}) AS s` : `SELECT SLEEP(${seconds}) AS s`;
}

function idSql(engine: 'postgres' | 'mysql'): string {
  return engine === 'postgres'
    ? 'SELECT pg_catalog.aurora_db_instance_identifier() AS id'
    : 'SELECT @@aurora_server_id AS id';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 20 ms until it holds or `ms` passed. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

function totalDetections(): number {
  return hostMonitorStats().reduce((n, s) => n + s.detections, 0);
}

function totalProbes(): number {
  return hostMonitorStats().reduce((n, s) => n + s.probesSent, 0);
}

/** Register the suite for one engine. */
export function hostMonitoringSuite(engine: 'postgres' | 'mysql'): void {
  const harness = failoverHarness<TestConnection>(engine, 3);
  const { cluster } = harness;
  const make = engine === 'postgres' ? pgConnection : mysqlConnection;

  function open(host: string | undefined, options: object = {}): TestConnection {
    return harness.track(
      make(cluster(), host, {
        plugins: ['failover', 'hostMonitoring'],
        ...FAST_FAILOVER,
        ...DETECTION,
        ...options,
      }),
    );
  }

  async function idOf(c: TestConnection): Promise<string> {
    return String((await c.rows(idSql(engine)))[0]!.id);
  }

  /** ms for one plain login to `host` and one query (no plugin): what a reconnect costs now. */
  async function loginMs(host: string): Promise<number> {
    const started = performance.now();
    const plain = make(cluster(), host, { plugins: [] });
    try {
      await plain.connect();
      await plain.rows('SELECT 1 AS one');
      return performance.now() - started;
    } finally {
      await plain.end().catch(() => undefined);
    }
  }

  /** OUTCOME_MS plus what the load measured in this run adds (LoadAllowance); logged when used. */
  async function outcomeBound(load: LoadAllowance, reachedHost: string | undefined): Promise<number> {
    const timers = load.timers();
    const login = reachedHost === undefined ? 0 : await loginMs(reachedHost);
    const bound = OUTCOME_MS + timers + login;
    if (timers + login > 100)
      console.log(
        `[host-monitoring ${engine}] outcome bound ${Math.round(bound)} ms = ${OUTCOME_MS} + event-loop delays ${Math.round(timers)} + a login ${Math.round(login)}`,
      );
    return bound;
  }

  function hostOf(id: string): string {
    return cluster()
      .instances()
      .find((i) => i.id === id)!.host;
  }

  describe(`host monitoring on ${engine}`, () => {
    it(
      'a call in flight on a blackholed reader ends in FailoverSuccessError within the detection bound (reader-or-writer)',
      { retry: 0 },
      async () => {
        const c = cluster();
        const reader = c.instances().find((i) => i.role === 'reader')!;
        // The outcome the bound is about (retryReadsOnFailover would send the call again).
        const conn = open(reader.host, { failoverMode: 'reader-or-writer', retryReadsOnFailover: false });
        await conn.connect();
        expect(await idOf(conn)).toBe(reader.id);
        const load = new LoadAllowance();
        const started = performance.now();
        const call = conn.rows(sleepSql(engine, 0.3));
        await sleep(100);
        c.partition(reader.id, { mode: 'blackhole' });
        const err = await rejection(call);
        const elapsed = performance.now() - started;
        expect(err).toBeInstanceOf(FailoverSuccessError);
        const reached = await idOf(conn);
        expect(reached).not.toBe(reader.id);
        expect(elapsed).toBeGreaterThanOrEqual(EARLIEST_MS - 50);
        expect(elapsed).toBeLessThan(await outcomeBound(load, hostOf(reached)));
        c.heal(reader.id);
      },
    );

    it(
      'a read in flight on a blackholed reader (retryReadsOnFailover, the default): detected, sent again on another reader, its rows returned',
      { retry: 0 },
      async () => {
        const c = cluster();
        const readers = c.instances().filter((i) => i.role === 'reader');
        if (readers.length < 2) throw new Error('the suite cluster needs two readers');
        const reader = readers[0]!;
        const conn = open(reader.host, { failoverMode: 'strict-reader' });
        await conn.connect();
        expect(await idOf(conn)).toBe(reader.id);
        const load = new LoadAllowance();
        const started = performance.now();
        const call = conn.rows(`${sleepSql(engine, 0.3)}`);
        await sleep(100);
        c.partition(reader.id, { mode: 'blackhole' });
        const rows = await call;
        const elapsed = performance.now() - started;
        expect(rows).toHaveLength(1);
        const reached = await idOf(conn);
        expect(reached).not.toBe(reader.id);
        expect(reached).not.toBe(writerId(c));
        // Detection and the move as above, then the statement runs once more (0.3 s).
        expect(elapsed).toBeGreaterThanOrEqual(EARLIEST_MS - 50);
        expect(elapsed).toBeLessThan((await outcomeBound(load, hostOf(reached))) + 300);
        c.heal(reader.id);
      },
    );

    it(
      'a writer that only went silent (no promotion): detected within the bound, failover reconnects to it once it answers again',
      { retry: 0 },
      async () => {
        const c = cluster();
        const writer = writerId(c);
        const conn = open(undefined);
        await conn.connect();
        expect(await idOf(conn)).toBe(writer);
        const before = totalDetections();
        c.partition(writer, { mode: 'blackhole' });
        await sleep(1500); // idle longer than the grace: nothing is probed, nothing detected
        expect(totalDetections()).toBe(before);
        const load = new LoadAllowance();
        const started = performance.now();
        const call = rejection(conn.rows('SELECT 1 AS one'));
        // The writer only went silent (no promotion): once detected, heal it so that failover's
        // reconnect to the same writer succeeds, which is the documented FailoverSuccessError.
        expect(await until(() => totalDetections() > before, OUTCOME_MS * 2)).toBe(true);
        const detectedAfter = performance.now() - started;
        c.heal(writer);
        const err = await call;
        expect(err).toBeInstanceOf(FailoverSuccessError);
        const detectionBound = await outcomeBound(load, undefined);
        expect(detectedAfter).toBeGreaterThanOrEqual(EARLIEST_MS - 50);
        expect(detectedAfter).toBeLessThan(detectionBound);
        expect(Math.max(...hostMonitorStats().map((s) => s.lastDetectionMs ?? 0))).toBeLessThan(
          detectionBound,
        );
        expect(await idOf(conn)).toBe(writer);
      },
    );

    it(
      'silent failover: a call in flight on the old writer ends in FailoverSuccessError on the new writer within the detection bound (+20 %)',
      { retry: 0 },
      async () => {
        const c = cluster();
        const oldWriter = writerId(c);
        const conn = open(undefined);
        await conn.connect();
        expect(await idOf(conn)).toBe(oldWriter);
        const load = new LoadAllowance();
        const started = performance.now();
        const call = rejection(conn.rows(sleepSql(engine, 0.5)));
        await sleep(100);
        const failover = c.failover({ silent: true });
        try {
          const err = await call;
          const elapsed = performance.now() - started;
          const { newWriter } = await failover;
          expect(err).toBeInstanceOf(FailoverSuccessError);
          expect(await idOf(conn)).toBe(newWriter);
          expect(elapsed).toBeGreaterThanOrEqual(EARLIEST_MS - 50);
          expect(elapsed).toBeLessThan(await outcomeBound(load, hostOf(newWriter)));
        } finally {
          // A retry (this machine's load can stretch the reconnect) starts from a healed cluster.
          await failover.catch(() => undefined);
          c.heal(oldWriter);
          await c.settled();
        }
      },
    );

    it(
      'silent failover, idle case: a connection idle on the silent old writer fails over on its next call within the bound from that call',
      { retry: 0 },
      async () => {
        const c = cluster();
        const oldWriter = writerId(c);
        const conn = open(undefined);
        await conn.connect();
        expect(await idOf(conn)).toBe(oldWriter);
        const { newWriter } = await c.failover({ silent: true });
        try {
          await sleep(DETECTION.failureDetectionTimeMs * 1.5); // idle past the grace: nothing may happen
          const load = new LoadAllowance();
          const started = performance.now();
          const err = await rejection(conn.rows('SELECT 1 AS one'));
          const elapsed = performance.now() - started;
          expect(err).toBeInstanceOf(FailoverSuccessError);
          expect(await idOf(conn)).toBe(newWriter);
          expect(elapsed).toBeGreaterThanOrEqual(EARLIEST_MS - 50);
          expect(elapsed).toBeLessThan(await outcomeBound(load, hostOf(newWriter)));
        } finally {
          c.heal(oldWriter);
          await c.settled();
        }
      },
    );

    it('a long healthy call is probed but not aborted', async () => {
      const conn = open(undefined);
      await conn.connect();
      const probesBefore = totalProbes();
      const detectionsBefore = totalDetections();
      const rows = await conn.rows(sleepSql(engine, 3));
      expect(rows).toHaveLength(1);
      // Probes ran (the call was overdue for ~2 s) and all of them found the host alive.
      expect(totalProbes()).toBeGreaterThan(probesBefore);
      expect(totalDetections()).toBe(detectionsBefore);
    });

    it('sends no probe and holds no probe connection while no call is overdue; one probe connection for many overdue calls', async () => {
      const c = cluster();
      const writer = c.instances().find((i) => i.role === 'writer')!;
      const conns = Array.from({ length: 5 }, () => open(undefined));
      await Promise.all(conns.map((x) => x.connect()));
      await Promise.all(conns.map((x) => x.rows('SELECT 1 AS one')));
      const probes = totalProbes();
      await sleep(DETECTION.failureDetectionTimeMs * 2);
      expect(totalProbes()).toBe(probes);
      expect(await sessionsOn(c, writer.host)).toBe(5);
      // Five calls overdue at once: one monitor, one probe connection.
      const calls = Promise.all(conns.map((x) => x.rows(sleepSql(engine, 2.5))));
      await sleep(DETECTION.failureDetectionTimeMs + 800);
      expect(hostMonitorStats().filter((s) => s.probing)).toHaveLength(1);
      expect(await sessionsOn(c, writer.host)).toBe(5 + 1);
      await calls;
      // Probing stopped with the last overdue call, and its connection was closed.
      expect(await until(() => hostMonitorStats().every((s) => !s.probing && !s.probeConnected), 3000)).toBe(
        true,
      );
      expect(await sessionsOn(c, writer.host)).toBe(5);
    });

    it('one monitor for 50 connections on one host, stopped when the last one ends', async () => {
      const conns = Array.from({ length: 50 }, () => open(undefined));
      await Promise.all(conns.map((x) => x.connect()));
      await Promise.all(conns.map((x) => x.rows('SELECT 1 AS one')));
      const stats = hostMonitorStats();
      expect(stats).toHaveLength(1);
      expect(stats[0]!.users).toBe(50);
      await Promise.all(conns.map((x) => x.end()));
      expect(hostMonitorStats()).toHaveLength(0);
    });
  });
}
