/**
 * The metadata tables the control plane writes on the writer (they reach readers by
 * replication, so a reader's view lags like on Aurora): the Aurora flavour's
 * `mysql.aurora_replica_host_status` (what `information_schema.replica_host_status` is
 * rewritten to) and the Multi-AZ flavour's `mysql.rds_topology`.
 */
import { createHash } from 'node:crypto';
import type { EmulatedFlavor, TopologyRecord } from '../engine.js';
import { AURORA_TOPOLOGY_TABLE } from './aurora-query-rewrite.js';

export function metadataTableDdl(flavor: EmulatedFlavor): string {
  return flavor === 'aurora'
    ? `CREATE TABLE IF NOT EXISTS ${AURORA_TOPOLOGY_TABLE} (
        SERVER_ID VARCHAR(100) NOT NULL PRIMARY KEY,
        SESSION_ID VARCHAR(100) NOT NULL,
        CPU DOUBLE NOT NULL DEFAULT 0,
        REPLICA_LAG_IN_MILLISECONDS DOUBLE NOT NULL DEFAULT 0,
        LAST_UPDATE_TIMESTAMP DATETIME(6) NOT NULL
      ) ENGINE=InnoDB`
    : `CREATE TABLE IF NOT EXISTS mysql.rds_topology (
        id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        endpoint VARCHAR(255) NOT NULL,
        port INT NOT NULL
      ) ENGINE=InnoDB`;
}

export function metadataTableName(flavor: EmulatedFlavor): string {
  return flavor === 'aurora' ? AURORA_TOPOLOGY_TABLE : 'mysql.rds_topology';
}

/** A reader's session id: a stable UUID-shaped string per instance (the writer's is MASTER_SESSION_ID). */
export function readerSessionId(instanceId: string): string {
  const h = createHash('sha1').update(instanceId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Statement and parameters replacing the whole table's content with `rows`. */
export function topologyInsert(
  flavor: EmulatedFlavor,
  rows: readonly TopologyRecord[],
  serverIdOf: (instanceId: string) => number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  if (flavor === 'aurora') {
    const values = rows.map((r) => {
      params.push(
        r.instanceId,
        r.isWriter ? 'MASTER_SESSION_ID' : readerSessionId(r.instanceId),
        r.cpu,
        r.lagMs,
      );
      return '(?, ?, ?, ?, NOW(6))';
    });
    return {
      sql: `INSERT INTO ${AURORA_TOPOLOGY_TABLE} (SERVER_ID, SESSION_ID, CPU, REPLICA_LAG_IN_MILLISECONDS, LAST_UPDATE_TIMESTAMP) VALUES ${values.join(', ')}`,
      params,
    };
  }
  const values = rows.map((r) => {
    params.push(serverIdOf(r.instanceId), r.endpoint, r.port);
    return '(?, ?, ?)';
  });
  return { sql: `INSERT INTO mysql.rds_topology (id, endpoint, port) VALUES ${values.join(', ')}`, params };
}
