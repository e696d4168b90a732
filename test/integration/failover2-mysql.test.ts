/**
 * Failover v2 (plugin failover2) on a real MariaDB cluster with Aurora MySQL metadata: the
 * shared suite (test/support/failover2-suite.ts) with aurora-ha's mysql2/promise connection.
 */
import { describe } from 'vitest';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { failover2Suite } from '../support/failover2-suite.js';

async function rows(c: PromiseConnection, sql: string): Promise<Record<string, unknown>[]> {
  const [r] = (await c.query(sql)) as [Record<string, unknown>[], unknown];
  return r;
}

describe('failover v2 on MariaDB (mysql2/promise)', () => {
  failover2Suite<PromiseConnection>({
    engine: 'mysql',
    make: (cluster, host, options) => new PromiseConnection({ ...mysqlConfig(cluster, host), ...options }),
    run: (c, sql) => c.query(sql),
    instanceId: async (c) => String((await rows(c, 'SELECT @@aurora_server_id AS id'))[0]!.id),
    isReader: async (c) => Number((await rows(c, 'SELECT @@innodb_read_only AS r'))[0]!.r) === 1,
    count: async (c, sql) => Number((await rows(c, sql))[0]!.n),
    createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k varchar(64) PRIMARY KEY)`,
    topologyWriter: async (c) =>
      String(
        (
          await rows(
            c,
            "SELECT SERVER_ID AS id FROM information_schema.replica_host_status WHERE SESSION_ID = 'MASTER_SESSION_ID'",
          )
        )[0]!.id,
      ),
  });
});
