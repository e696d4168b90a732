/**
 * Aurora MySQL: detected by the `aurora_version` variable, topology from
 * `information_schema.replica_host_status`, instance id `@@aurora_server_id`.
 */
import type { Dialect } from './dialect.js';
import { AURORA_MYSQL } from './sql.js';
import { firstValue, hasRow, returnsRow } from './dialect-queries.js';
import { parseAuroraRow, toBoolean, toText } from './topology-rows.js';

export const auroraMysqlDialect: Dialect = {
  name: 'aurora-mysql',
  engine: 'mysql',
  topologyAware: true,
  needsInstancePattern: true,
  probesConfiguredHosts: false,
  refinements: [],
  matches: (conn) => returnsRow(conn, AURORA_MYSQL.detect),
  async queryTopology(conn) {
    const rows = await conn.queryRows(AURORA_MYSQL.topology);
    return rows.map(parseAuroraRow).filter((r) => r !== undefined);
  },
  async instanceId(conn) {
    return toText(await firstValue(conn, AURORA_MYSQL.instanceId));
  },
  isWriter: (conn) => hasRow(conn, AURORA_MYSQL.writerCheck),
  async isReader(conn) {
    return toBoolean(await firstValue(conn, AURORA_MYSQL.isReader));
  },
};
