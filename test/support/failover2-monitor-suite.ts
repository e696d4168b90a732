/**
 * Failover v2's monitor where the topology is missing or the cluster is dead (issue 11), one
 * body for both engines, at the logical connection:
 * - a connection whose connect-time topology read did not conclude (injected: the dialect's
 *   topology query fails, for the connection and the monitor alike) still fails over when its
 *   writer is lost: the failure asks the monitor for the topology then (late read), and when
 *   no read concludes at all, the monitor finds the writer by probing the hosts it started from;
 * - a dead cluster is not probed on and on: once the search a connection waited for ended
 *   without a writer and nobody waits, the monitor starts no new search by itself, and only
 *   its normal-mode refreshes try to connect (attempts counted by the monitor).
 */
import { expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { LogicalConnection } from '../../src/connection/logical-connection.js';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import type { PluginFactory, PluginService } from '../../src/connection/plugin.js';
import type { Dialect } from '../../src/dialects/dialect.js';
import { mysql2Adapter } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { monitorOf } from '../../src/topology/topology-monitors.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { mysqlConfig, pgConfig } from './cluster.js';
import { FAST_FAILOVER, failoverHarness, rejection, type FailoverHarness } from './failover-harness.js';

type Engine = 'postgres' | 'mysql';

const INSTANCE_ID: Record<Engine, string> = {
  postgres: 'SELECT pg_catalog.aurora_db_instance_identifier()',
  mysql: 'SELECT @@aurora_server_id',
};

/** A call through the logical connection's pipeline, on whatever physical connection is current. */
function run(lc: LogicalConnection, sql: string): Promise<unknown[][]> {
  return lc.execute('query', () => {
    const conn = lc.current;
    if (conn === undefined) throw new Error('not connected');
    return conn.queryRows(sql);
  });
}

/**
 * The real failover2 plugin, seeing a dialect whose topology query fails while `blind.on`
 * (as a bounded read that does not conclude on a loaded machine); the monitor the plugin
 * creates reads through the same dialect.
 */
function topologyBlindFailover2(): { factories: PluginFactory[]; blind: { on: boolean; failed: number } } {
  const blind = { on: true, failed: 0 };
  const wrapped = new WeakMap<Dialect, Dialect>();
  const blinded = (d: Dialect): Dialect => {
    let w = wrapped.get(d);
    if (w === undefined) {
      w = {
        ...d,
        queryTopology: (conn) => {
          if (!blind.on) return d.queryTopology(conn);
          blind.failed++;
          return Promise.reject(new Error('injected: the topology read did not conclude'));
        },
      };
      wrapped.set(d, w);
    }
    return w;
  };
  const factory: PluginFactory = {
    ...failover2PluginFactory,
    create(service: PluginService) {
      const view = new Proxy(service, {
        get(target, key) {
          if (key === 'dialect') return target.dialect === undefined ? undefined : blinded(target.dialect);
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return failover2PluginFactory.create(view);
    },
  };
  return { factories: [factory], blind };
}

let clusters = 0;

export function failover2MonitorSuite(engine: Engine): void {
  const harness = failoverHarness<LogicalConnection>(engine, 3);
  cases(engine, harness);
}

function cases(engine: Engine, harness: FailoverHarness<LogicalConnection>): void {
  const { cluster, onFreshCluster } = harness;

  /** A connection with a cluster id of its own (a fresh monitor), plus that monitor's key. */
  async function open(
    options: Record<string, unknown> = {},
    factories?: PluginFactory[],
  ): Promise<{ lc: LogicalConnection; key: string }> {
    const c = cluster();
    const clusterId = `v2-monitor-${engine}-${++clusters}-${Date.now()}`;
    const base = engine === 'postgres' ? pgConfig(c) : mysqlConfig(c);
    const config = resolveConfig(engine, {
      ...base,
      ...FAST_FAILOVER,
      plugins: ['failover2'],
      clusterId,
      ...options,
    });
    const lc = harness.track(
      new LogicalConnection(
        config,
        engine === 'postgres' ? pgAdapter : mysql2Adapter,
        factories ?? resolvePluginFactories(config.options.plugins),
      ),
    );
    await lc.open();
    return { lc, key: `cluster:${clusterId}` };
  }

  async function until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }

  it('topology not learnt at connect (injected): the writer failure reads it late through the monitor and fails over', async () =>
    onFreshCluster(3, async () => {
      const { factories, blind } = topologyBlindFailover2();
      const { lc, key } = await open({}, factories);
      const monitor = monitorOf(key)!;
      expect(blind.failed).toBeGreaterThan(0);
      expect(monitor.hosts()).toEqual([]);
      expect(lc.service.hosts()).toEqual([]);
      const before = String((await run(lc, INSTANCE_ID[engine]))[0]?.[0]);
      // The reads conclude again; the monitor reads by itself only every topologyRefreshMs.
      blind.on = false;
      await cluster().failover();
      const err = await rejection(run(lc, 'SELECT 1'));
      expect(err).toBeInstanceOf(FailoverSuccessError);
      await until(() => monitor.hosts().length > 0, 5_000);
      expect(monitor.hosts().length).toBeGreaterThan(0);
      expect(String((await run(lc, INSTANCE_ID[engine]))[0]?.[0])).not.toBe(before);
    }));

  it('no topology read ever concludes: the monitor finds the new writer by probing its initial host, and the connection fails over', async () =>
    onFreshCluster(3, async () => {
      const { factories, blind } = topologyBlindFailover2();
      const { lc, key } = await open({}, factories);
      const monitor = monitorOf(key)!;
      expect(monitor.hosts()).toEqual([]);
      const before = String((await run(lc, INSTANCE_ID[engine]))[0]?.[0]);
      await cluster().failover();
      const err = await rejection(run(lc, 'SELECT 1'));
      expect(err).toBeInstanceOf(FailoverSuccessError);
      expect(blind.on).toBe(true);
      expect(monitor.hosts()).toEqual([]);
      expect(String((await run(lc, INSTANCE_ID[engine]))[0]?.[0])).not.toBe(before);
    }));

  it('a dead cluster: after the failover gave up and nobody waits, no new search starts, only paced refreshes connect', async () => {
    // Refreshes every 2 s: before, each one that found the writer gone started a search that
    // probed every host for failoverTimeoutMs, and the next began as soon as it ended.
    const { lc, key } = await open({ failoverTimeoutMs: 1_500, topologyRefreshMs: 2_000 });
    const monitor = monitorOf(key)!;
    await until(() => monitor.hosts().length > 0, 5_000);
    for (const i of cluster().instances()) cluster().partition(i.id, { mode: 'refuse' });
    expect(await rejection(run(lc, 'SELECT 1'))).toBeInstanceOf(FailoverFailedError);
    await until(() => !monitor.searching, 3_000);
    expect(monitor.searching).toBe(false);
    const searches = monitor.searches;
    const attempts = monitor.connectAttempts;
    // Watch for a few seconds: the connection is still open (unusable), the monitor alive.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(monitor.searches).toBe(searches);
    // Only the normal-mode refreshes went on (one attempt per host, at most three in 4 s),
    // never a probe per host every second.
    expect(monitor.connectAttempts - attempts).toBeLessThanOrEqual(3 * cluster().instances().length);
  });
}
