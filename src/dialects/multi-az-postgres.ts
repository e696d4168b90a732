/**
 * RDS Multi-AZ DB cluster, PostgreSQL: topology from `rds_tools.show_topology()` (id,
 * endpoint, port); the writer is the instance whose id equals
 * `multi_az_db_cluster_source_dbi_resource_id()`.
 */
import type { Dialect } from './dialect.js';
import { MULTI_AZ_PG } from './sql.js';
import { firstValue, returnsRow } from './dialect-queries.js';
import { parseMultiAzRow, toBoolean, toText } from './topology-rows.js';

export const multiAzPostgresDialect: Dialect = {
  name: 'multi-az-postgres',
  engine: 'postgres',
  topologyAware: true,
  needsInstancePattern: false,
  probesConfiguredHosts: false,
  refinements: [],
  matches: (conn) => returnsRow(conn, MULTI_AZ_PG.detect),
  async queryTopology(conn) {
    const writerId = toText(await firstValue(conn, MULTI_AZ_PG.writerId));
    const rows = await conn.queryRows(MULTI_AZ_PG.topology);
    return rows.map((r) => parseMultiAzRow(r, writerId)).filter((r) => r !== undefined);
  },
  async instanceId(conn) {
    return toText(await firstValue(conn, MULTI_AZ_PG.instanceId));
  },
  async isWriter(conn) {
    const [writerId, own] = [
      toText(await firstValue(conn, MULTI_AZ_PG.writerId)),
      toText(await firstValue(conn, MULTI_AZ_PG.instanceId)),
    ];
    return writerId !== undefined && writerId === own;
  },
  async isReader(conn) {
    return toBoolean(await firstValue(conn, MULTI_AZ_PG.isReader));
  },
};
