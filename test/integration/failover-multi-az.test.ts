/**
 * Failover v1 and v2 on RDS Multi-AZ DB clusters (emulator flavour `multi-az`: rds_tools on
 * PostgreSQL, the `mysql.rds_topology` table on MariaDB). The Aurora flavour has its own suites;
 * this file checks that both plugins find the promoted writer through the Multi-AZ dialects'
 * topology and instance queries: every connection of the writer cluster endpoint gets
 * `FailoverSuccessError` naming the new writer's instance endpoint, and then writes there.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';
import { mysqlConfig, pgConfig, useCluster } from '../support/cluster.js';
import { FAST_FAILOVER, rejection } from '../support/failover-harness.js';

interface Conn {
  run(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

async function open(cluster: EmulatedCluster, plugin: string): Promise<Conn> {
  const options = { ...FAST_FAILOVER, plugins: [plugin] };
  if (cluster.engine === 'postgres') {
    const c = new Client({ ...pgConfig(cluster), ...options });
    await c.connect();
    return { run: (sql) => c.query(sql), end: () => c.end() };
  }
  const c = new PromiseConnection({ ...mysqlConfig(cluster), ...options });
  await c.connect();
  return { run: (sql) => c.query(sql), end: () => c.end() };
}

function multiAzFailover(engine: 'postgres' | 'mysql'): void {
  const cluster = useCluster({ engine, flavor: 'multi-az', instances: 3 });
  const table = `maz_${engine}`;
  const ddl =
    engine === 'postgres'
      ? `CREATE TABLE IF NOT EXISTS ${table} (k text PRIMARY KEY)`
      : `CREATE TABLE IF NOT EXISTS ${table} (k VARCHAR(64) PRIMARY KEY)`;

  for (const plugin of ['failover', 'failover2']) {
    it(`${plugin}: a writer crash moves every connection to the promoted writer`, async () => {
      const c0 = cluster();
      await c0.settled();
      const conns = await Promise.all(Array.from({ length: 5 }, () => open(c0, plugin)));
      try {
        await conns[0]!.run(ddl);
        const { newWriter } = await c0.failover();
        const writerHost = c0.instances().find((i) => i.id === newWriter)!.host;
        const errors = await Promise.all(conns.map((c) => rejection(c.run('SELECT 1'))));
        for (const err of errors) {
          expect(err).toBeInstanceOf(FailoverSuccessError);
          expect((err as FailoverSuccessError).newHost).toContain(writerHost);
        }
        // On the writer: a write succeeds on every moved connection.
        await Promise.all(
          conns.map((c, i) => c.run(`INSERT INTO ${table} VALUES ('${plugin}-${newWriter}-${i}')`)),
        );
      } finally {
        await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
      }
    });
  }
}

describe('failover on an RDS Multi-AZ PostgreSQL cluster', () => multiAzFailover('postgres'));
describe('failover on an RDS Multi-AZ MySQL cluster', () => multiAzFailover('mysql'));
