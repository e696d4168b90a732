/**
 * Plain PostgreSQL: any server speaking the protocol. No topology; the writer is the
 * instance not in recovery. Starting point of PostgreSQL detection.
 */
import type { Dialect } from './dialect.js';
import { PLAIN_PG } from './sql.js';
import { firstValue, rowsOrUndefined } from './dialect-queries.js';
import { toBoolean, toText } from './topology-rows.js';

export const postgresDialect: Dialect = {
  name: 'postgres',
  engine: 'postgres',
  topologyAware: false,
  needsInstancePattern: false,
  probesConfiguredHosts: false,
  refinements: ['aurora-postgres', 'multi-az-postgres', 'postgres-replica-cluster'],
  async matches(conn) {
    const rows = await rowsOrUndefined(conn, PLAIN_PG.detect);
    return /postgres/i.test(toText(rows?.[0]?.[0]) ?? '');
  },
  queryTopology: async () => [],
  instanceId: async () => undefined,
  async isWriter(conn) {
    return !toBoolean(await firstValue(conn, PLAIN_PG.isReader));
  },
  async isReader(conn) {
    return toBoolean(await firstValue(conn, PLAIN_PG.isReader));
  },
};
