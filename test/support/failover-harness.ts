/**
 * What the failover integration tests of both engines share: fast failover settings, a
 * shared cluster plus fresh clusters for destructive tests, and the check that no session
 * opened during a failover is left on any instance afterwards.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, expect } from 'vitest';
import { TransactionResolutionUnknownError } from '../../src/core/errors.js';
import type { PluginFactory, PluginService } from '../../src/connection/plugin.js';
import type { EmulatedCluster, StartClusterOptions } from '../../src/emulator.js';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { mysqlConfig, pgConfig, startTestCluster, useCluster } from './cluster.js';

/** Fast failover settings so the suites stay short; the defaults are minutes. */
export const FAST_FAILOVER = {
  failoverTimeoutMs: 20_000,
  failoverClusterTopologyRefreshRateMs: 200,
  failoverWriterReconnectIntervalMs: 200,
  failoverReaderConnectTimeoutMs: 3_000,
};

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject');
}

export function writerId(c: EmulatedCluster): string {
  const w = c.instances().find((i) => i.role === 'writer');
  if (w === undefined) throw new Error('no writer in the emulated cluster');
  return w.id;
}

/** Sessions of the cluster's test user on one instance, not counting the asking session. */
export async function sessionsOn(c: EmulatedCluster, host: string): Promise<number> {
  if (c.engine === 'postgres') {
    const probe = new pg.Client(pgConfig(c, host));
    // A reader being re-pointed restarts and resets its sessions: the probe must not crash the run.
    probe.on('error', () => undefined);
    await probe.connect();
    try {
      const r = await probe.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      return r.rows[0]!.n;
    } finally {
      await probe.end();
    }
  }
  const probe = await mysql.createConnection(mysqlConfig(c, host));
  // Same as above: a reset between two commands is an 'error' event, never an uncaught one.
  probe.on('error', () => undefined);
  try {
    const [r] = (await probe.query(
      "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND id <> CONNECTION_ID()",
    )) as [{ n: number }[], unknown];
    return Number(r[0]!.n);
  } finally {
    await probe.end();
  }
}

/**
 * Wait until no session of the test user is left on any live instance (closing is asynchronous).
 * The emulator's recovery after a failover (readers re-pointed and restarted, the old writer
 * rebuilt) runs in the background: wait for it first, and count an instance that still resets
 * the probe as "not yet", never as a test failure of its own.
 */
export async function expectNoSessionsLeft(c: EmulatedCluster): Promise<void> {
  await c.settled();
  let last: Record<string, number | string> = {};
  for (let i = 0; i < 40; i++) {
    last = {};
    for (const inst of c.instances()) {
      if (inst.role === 'down') continue;
      last[inst.id] = await sessionsOn(c, inst.host).catch(
        (err: unknown) => `probe failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (Object.values(last).every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(last).toEqual(Object.fromEntries(Object.keys(last).map((k) => [k, 0])));
}

export interface FailoverHarness<C extends { end(): Promise<unknown> }> {
  /** The cluster the current test uses: the shared one, or the fresh one of onFreshCluster. */
  cluster(): EmulatedCluster;
  /** Remember a client so it is ended (and its sessions checked) after the test. */
  track(client: C): C;
  /**
   * Run a destructive test (failover, crash) on a cluster of its own, then check that no
   * session of the test user is left on any live instance before stopping it.
   */
  onFreshCluster(
    instances: number,
    body: () => Promise<void>,
    options?: Partial<StartClusterOptions>,
  ): Promise<void>;
}

/** One shared cluster for the file, healed and checked for leftover sessions after each test. */
export function failoverHarness<C extends { end(): Promise<unknown> }>(
  engine: 'postgres' | 'mysql',
  instances: number,
): FailoverHarness<C> {
  const shared = useCluster({ engine, instances });
  let active: (() => EmulatedCluster) | undefined;
  const clients: C[] = [];
  const endAll = (): Promise<unknown> =>
    Promise.all(clients.splice(0).map((cl) => cl.end().catch(() => undefined)));

  afterEach(async () => {
    const c = shared();
    for (const i of c.instances()) c.heal(i.id);
    await endAll();
    // Every connection a failover opened (readers probed, losers of a race) must be closed.
    await expectNoSessionsLeft(c);
  });

  return {
    cluster: () => (active ?? shared)(),
    track(client) {
      clients.push(client);
      return client;
    },
    async onFreshCluster(n, body, options = {}) {
      const own = await startTestCluster({ engine, instances: n, ...options });
      active = () => own;
      try {
        await body();
        await endAll();
        await expectNoSessionsLeft(own);
      } finally {
        active = undefined;
        await endAll();
        await own.stop();
      }
    },
  };
}

/**
 * The real v1 failover plugin, whose connect-time topology read fails once (as a bounded read
 * that did not conclude on a loaded machine): the connection opens with no topology known.
 * `service()` is the plugin's view, to check that precondition.
 */
export function topologyBlindFailover(): {
  factories: PluginFactory[];
  service: () => PluginService | undefined;
  blinded: () => number;
  /** Completed failovers (each switches the logical connection once). */
  switches: () => number;
} {
  let blinded = 0;
  let switches = 0;
  let seen: PluginService | undefined;
  const factory: PluginFactory = {
    ...failoverPluginFactory,
    create(service: PluginService) {
      const view = new Proxy(service, {
        get(target, key) {
          if (key === 'refreshHostList' && blinded === 0) {
            return () => {
              blinded++;
              return Promise.reject(new Error('injected: the topology read did not conclude'));
            };
          }
          if (key === 'setCurrentConnection') {
            return (...args: Parameters<PluginService['setCurrentConnection']>) => {
              switches++;
              return target.setCurrentConnection(...args);
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      seen = view;
      return failoverPluginFactory.create(view);
    },
  };
  return { factories: [factory], service: () => seen, blinded: () => blinded, switches: () => switches };
}

/**
 * Issue 9's raw ECONNRESET: a connection (made with `blind.factories`) that learnt no topology
 * at connect and then stays in a transaction (where no idle refresh runs) loses its writer.
 * The failure must learn the topology then and fail over. Returns the writer's instance id.
 */
export async function expectBlindConnectionFailsOver(
  c: { connect(): Promise<unknown>; query(sql: string): Promise<unknown> },
  blind: ReturnType<typeof topologyBlindFailover>,
  cluster: EmulatedCluster,
): Promise<string> {
  await c.connect();
  expect(blind.blinded()).toBe(1);
  await c.query('BEGIN');
  expect(blind.service()!.hosts()).toEqual([]);
  const writer = writerId(cluster);
  // Every session of the writer is reset; new ones are accepted at once.
  cluster.partition(writer, { mode: 'reset' });
  cluster.heal(writer);
  // Three calls fail together: one late topology read, one failover, three outcomes.
  const outcomes = await Promise.allSettled([c.query('SELECT 1'), c.query('SELECT 2'), c.query('SELECT 3')]);
  for (const o of outcomes) {
    expect(o.status).toBe('rejected');
    if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(TransactionResolutionUnknownError);
  }
  expect(blind.switches()).toBe(1);
  expect(blind.service()!.hosts().length).toBeGreaterThan(0);
  return writer;
}
