/**
 * Plain MySQL (and the starting point of MySQL-protocol detection): no topology; the
 * writer is the instance with `@@read_only = 0`.
 */
import type { Dialect } from './dialect.js';
import { PLAIN_MYSQL } from './sql.js';
import { firstValue, returnsRow } from './dialect-queries.js';
import { toBoolean } from './topology-rows.js';

export const mysqlDialect: Dialect = {
  name: 'mysql',
  engine: 'mysql',
  topologyAware: false,
  needsInstancePattern: false,
  probesConfiguredHosts: false,
  refinements: ['aurora-mysql', 'multi-az-mysql', 'mariadb'],
  matches: (conn) => returnsRow(conn, PLAIN_MYSQL.detect),
  queryTopology: async () => [],
  instanceId: async () => undefined,
  async isWriter(conn) {
    return !toBoolean(await firstValue(conn, PLAIN_MYSQL.isReader));
  },
  async isReader(conn) {
    return toBoolean(await firstValue(conn, PLAIN_MYSQL.isReader));
  },
};
