/**
 * Aurora PostgreSQL: detected through `rds.extensions`, topology from
 * `aurora_replica_status()`, instance id from `aurora_db_instance_identifier()`.
 */
import type { Dialect } from './dialect.js';
import { AURORA_PG } from './sql.js';
import { answersYes, firstValue, hasRow } from './dialect-queries.js';
import { parseAuroraRow, toBoolean, toText } from './topology-rows.js';

export const auroraPostgresDialect: Dialect = {
  name: 'aurora-postgres',
  engine: 'postgres',
  topologyAware: true,
  needsInstancePattern: true,
  probesConfiguredHosts: false,
  refinements: [],
  matches: (conn) => answersYes(conn, AURORA_PG.detect),
  async queryTopology(conn) {
    const rows = await conn.queryRows(AURORA_PG.topology);
    return rows.map(parseAuroraRow).filter((r) => r !== undefined);
  },
  async instanceId(conn) {
    return toText(await firstValue(conn, AURORA_PG.instanceId));
  },
  isWriter: (conn) => hasRow(conn, AURORA_PG.writerCheck),
  async isReader(conn) {
    return toBoolean(await firstValue(conn, AURORA_PG.isReader));
  },
};
