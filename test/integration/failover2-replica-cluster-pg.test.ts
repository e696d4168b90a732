/**
 * Failover v2 over the self-managed PostgreSQL replica-cluster dialect (issue 11): no topology
 * query, the hosts are the configured ones (`hosts`), and only an instance that says it is not
 * in recovery names the writer. The emulator has no plain streaming-replication flavour (its
 * PostgreSQL flavours expose Aurora / RDS metadata, so detection refines to those before
 * `postgres-replica-cluster`), but its instances ARE a real primary and hot standbys: the
 * plugin is shown the replica-cluster dialect (injected through its view of the service, as
 * detection would give it), and the monitor, its probes and the writer check run for real.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { LogicalConnection } from '../../src/core/logical-connection.js';
import type { PluginFactory, PluginService } from '../../src/core/plugin.js';
import { postgresReplicaClusterDialect } from '../../src/dialects/postgres-replica-cluster.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { hostKey } from '../../src/hosts/host-info.js';
import { monitorOf } from '../../src/hosts/topology-monitors.js';
import { failover2PluginFactory } from '../../src/plugins/failover2/failover2-plugin-factory.js';
import { pgConfig } from '../support/cluster.js';
import { FAST_FAILOVER, failoverHarness, rejection, writerId } from '../support/failover-harness.js';

/** The real failover2 plugin, seeing the replica-cluster dialect. */
const replicaClusterFailover2: PluginFactory = {
  ...failover2PluginFactory,
  create(service: PluginService) {
    const view = new Proxy(service, {
      get(target, key) {
        if (key === 'dialect')
          return target.dialect === undefined ? undefined : postgresReplicaClusterDialect;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return failover2PluginFactory.create(view);
  },
};

function run(lc: LogicalConnection, sql: string): Promise<unknown[][]> {
  return lc.execute('query', () => {
    const conn = lc.current;
    if (conn === undefined) throw new Error('not connected');
    return conn.queryRows(sql);
  });
}

describe('failover2 over the postgres-replica-cluster dialect (configured hosts)', () => {
  const harness = failoverHarness<LogicalConnection>('postgres', 3);

  it('the writer crashes: the monitor probes the configured hosts, verifies the promoted standby, the call gets FailoverSuccessError', async () =>
    harness.onFreshCluster(3, async () => {
      const c = harness.cluster();
      const writer = c.instances().find((i) => i.id === writerId(c))!;
      const others = c.instances().filter((i) => i.id !== writer.id);
      const hosts = [writer, ...others].map((i) => `${i.host}:${c.writerEndpoint.port}`);
      const clusterId = `replica-cluster-v2-${Date.now()}`;
      const config = resolveConfig('postgres', {
        ...pgConfig(c, writer.host),
        ...FAST_FAILOVER,
        hosts,
        clusterId,
        plugins: ['failover2'],
      });
      const lc = harness.track(new LogicalConnection(config, pgAdapter, [replicaClusterFailover2]));
      await lc.open();
      const monitor = monitorOf(`cluster:${clusterId}`)!;
      // The configured hosts, the writer named by the instance that is not in recovery.
      expect(monitor.hosts().map((h) => `${hostKey(h)} ${h.role}`)).toEqual(
        hosts.map((h, i) => `${h} ${i === 0 ? 'writer' : 'reader'}`),
      );
      const { newWriter } = await c.failover();
      const err = await rejection(run(lc, 'SELECT 1'));
      expect(err).toBeInstanceOf(FailoverSuccessError);
      expect(String((await run(lc, 'SELECT pg_catalog.aurora_db_instance_identifier()'))[0]?.[0])).toBe(
        newWriter,
      );
      expect(await run(lc, 'SELECT pg_catalog.pg_is_in_recovery()')).toEqual([[false]]);
      expect(monitor.writer()?.host).toBe(c.instances().find((i) => i.id === newWriter)!.host);
    }));
});
