/**
 * Failover v2 on a self-managed PostgreSQL streaming-replication cluster (issue 11), end to end:
 * the emulator's `replica` flavour is a real primary with hot standbys and no Aurora / RDS
 * metadata, so dialect detection itself lands on `postgres-replica-cluster`. That dialect has
 * no topology query: the hosts are the configured ones (`hosts`), and only an instance that
 * says it is not in recovery is the writer. A writer crash must end in FailoverSuccessError on
 * the promoted standby, found by the monitor's probes of the configured hosts.
 */
import { describe, expect, it } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { clearDialectCache, detectDialect } from '../../src/dialects/detect-dialect.js';
import { hostKey } from '../../src/drivers/host-info.js';
import { liveMonitorKeys, monitorOf } from '../../src/topology/topology-monitors.js';
import { Client } from '../../src/pg.js';
import { pgConfig, useCluster } from '../support/cluster.js';
import { FAST_FAILOVER, rejection } from '../support/failover-harness.js';
import { connectInstance, instanceByRole } from './dialects-support.js';

const cluster = useCluster({ engine: 'postgres', flavor: 'replica', instances: 3 });

async function instanceOf(c: Client): Promise<string> {
  const r = await c.query<{ id: string }>("SELECT current_setting('aurora_ha.instance_id') AS id");
  return r.rows[0]!.id;
}

describe('failover2 on a self-managed PostgreSQL replica cluster (configured hosts)', () => {
  it('dialect detection gives postgres-replica-cluster on the primary and on a standby', async () => {
    clearDialectCache();
    for (const role of ['writer', 'reader'] as const) {
      const conn = await connectInstance(cluster(), instanceByRole(cluster(), role));
      try {
        expect((await detectDialect(conn, 'postgres')).name).toBe('postgres-replica-cluster');
      } finally {
        await conn.close();
      }
    }
  });

  it('is detected as postgres-replica-cluster; a writer crash moves every connection to the promoted standby', async () => {
    const c0 = cluster();
    const writer = c0.topology().find((i) => i.role === 'writer')!;
    const others = c0.topology().filter((i) => i.id !== writer.id);
    const hosts = [writer, ...others].map((i) => `${i.host}:${i.port}`);
    const clusterId = `replica-${Date.now()}`;
    const clients = Array.from(
      { length: 5 },
      () =>
        new Client({
          ...pgConfig(c0, writer.host),
          ...FAST_FAILOVER,
          hosts,
          clusterId,
          plugins: ['failover2'],
        }),
    );
    try {
      await Promise.all(clients.map((c) => c.connect()));
      expect(await instanceOf(clients[0]!)).toBe(writer.id);
      // One monitor for the cluster: the configured hosts, the writer named by the instance itself.
      expect(liveMonitorKeys().filter((k) => k.includes(clusterId))).toHaveLength(1);
      const monitor = monitorOf(`cluster:${clusterId}`)!;
      expect(monitor.hosts().map((h) => `${hostKey(h)} ${h.role}`)).toEqual(
        hosts.map((h, i) => `${h} ${i === 0 ? 'writer' : 'reader'}`),
      );
      await clients[0]!.query('CREATE TABLE IF NOT EXISTS replica_v2 (k text PRIMARY KEY)');
      const { newWriter } = await c0.failover();
      const errors = await Promise.all(clients.map((c) => rejection(c.query('SELECT 1'))));
      for (const err of errors) expect(err).toBeInstanceOf(FailoverSuccessError);
      for (const [i, c] of clients.entries()) {
        expect(await instanceOf(c)).toBe(newWriter);
        await c.query(`INSERT INTO replica_v2 VALUES ('after-${i}')`);
      }
      expect(monitor.writer()?.host).toBe(c0.topology().find((i) => i.id === newWriter)!.host);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  });
});
