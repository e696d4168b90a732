/**
 * Self-managed PostgreSQL streaming-replication cluster (a primary and hot standbys listed
 * in the connection settings). Decision: `topologyAware = false`. The engine has no
 * metadata naming the cluster's members in a form we could connect to (pg_stat_replication
 * shows client addresses, not listen addresses), so the host list is the configured one and
 * roles come from probing each configured host with `isWriter()` (`probesConfiguredHosts`).
 * `queryTopology` therefore returns no rows and `instanceId` is undefined.
 */
import type { Dialect } from './dialect.js';
import { PG_REPLICA_CLUSTER } from './sql.js';
import { answersYes, firstValue } from './dialect-queries.js';
import { toBoolean } from './topology-rows.js';

export const postgresReplicaClusterDialect: Dialect = {
  name: 'postgres-replica-cluster',
  engine: 'postgres',
  topologyAware: false,
  needsInstancePattern: false,
  probesConfiguredHosts: true,
  refinements: [],
  matches: (conn) => answersYes(conn, PG_REPLICA_CLUSTER.detect),
  queryTopology: async () => [],
  instanceId: async () => undefined,
  async isWriter(conn) {
    return !toBoolean(await firstValue(conn, PG_REPLICA_CLUSTER.isReader));
  },
  async isReader(conn) {
    return toBoolean(await firstValue(conn, PG_REPLICA_CLUSTER.isReader));
  },
};
