/**
 * RDS Multi-AZ DB cluster, MySQL: topology from `mysql.rds_topology` (id, endpoint, port);
 * the writer is the replication source of `SHOW REPLICA STATUS` (Source_Server_Id on MySQL,
 * Master_Server_Id on MariaDB), or this instance's `@@server_id` when it replicates from
 * no one (it is the writer).
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import type { Dialect } from './dialect.js';
import { MULTI_AZ_MYSQL } from './sql.js';
import { firstValue, returnsRow } from './dialect-queries.js';
import { parseMultiAzRow, toBoolean, toText } from './topology-rows.js';

const SOURCE_ID_COLUMNS = ['source_server_id', 'master_server_id'];

/** The replication source's server id, or undefined when this instance replicates from no one. */
async function replicationSourceId(conn: PhysicalConnection): Promise<string | undefined> {
  if (conn.queryWithColumns === undefined) {
    throw new Error('multi-az-mysql needs PhysicalConnection.queryWithColumns to read SHOW REPLICA STATUS');
  }
  const { columns, rows } = await conn.queryWithColumns(MULTI_AZ_MYSQL.replicaStatus);
  const index = columns.findIndex((c) => SOURCE_ID_COLUMNS.includes(c.toLowerCase()));
  const value = index < 0 ? undefined : rows[0]?.[index];
  const id = toText(value);
  return id === undefined || id === '' || id === '0' ? undefined : id;
}

async function writerId(conn: PhysicalConnection): Promise<string | undefined> {
  return (await replicationSourceId(conn)) ?? toText(await firstValue(conn, MULTI_AZ_MYSQL.instanceId));
}

export const multiAzMysqlDialect: Dialect = {
  name: 'multi-az-mysql',
  engine: 'mysql',
  topologyAware: true,
  needsInstancePattern: false,
  probesConfiguredHosts: false,
  refinements: [],
  matches: (conn) => returnsRow(conn, MULTI_AZ_MYSQL.detect),
  async queryTopology(conn) {
    const writer = await writerId(conn);
    const rows = await conn.queryRows(MULTI_AZ_MYSQL.topology);
    return rows.map((r) => parseMultiAzRow(r, writer)).filter((r) => r !== undefined);
  },
  async instanceId(conn) {
    return toText(await firstValue(conn, MULTI_AZ_MYSQL.instanceId));
  },
  async isWriter(conn) {
    return (
      (await replicationSourceId(conn)) === undefined &&
      !toBoolean(await firstValue(conn, MULTI_AZ_MYSQL.isReader))
    );
  },
  async isReader(conn) {
    return toBoolean(await firstValue(conn, MULTI_AZ_MYSQL.isReader));
  },
};
