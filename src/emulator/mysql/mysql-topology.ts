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

/** The replica-lag heartbeat (replica-lag.ts): one row, written on the writer, replicated. */
export const HEARTBEAT_TABLE = 'mysql.aurora_ha_heartbeat';

export const HEARTBEAT_DDL = [
  `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE} (id INT NOT NULL PRIMARY KEY, beat_ms BIGINT NOT NULL) ENGINE=InnoDB`,
  `INSERT IGNORE INTO ${HEARTBEAT_TABLE} VALUES (1, 0)`,
];

/** What a replica has replayed of the heartbeat. */
export const REPLAYED_HEARTBEAT = `SELECT CAST(beat_ms AS DOUBLE) AS beat FROM ${HEARTBEAT_TABLE} WHERE id = 1`;

/**
 * One statement on the writer: the new heartbeat and, when given, the readers' lags. With
 * lags it is a multi-table UPDATE joining the one heartbeat row to the status rows (each row
 * is updated once); the status table always holds the writer's row while there is a writer.
 */
export function heartbeatStatement(
  beatMs: number,
  lags: ReadonlyMap<string, number> | undefined,
): { sql: string; params: unknown[] } {
  if (lags === undefined || lags.size === 0)
    return { sql: `UPDATE ${HEARTBEAT_TABLE} SET beat_ms = ? WHERE id = 1`, params: [beatMs] };
  const params: unknown[] = [beatMs];
  const cases = [...lags].map(([id, lag]) => {
    params.push(id, lag);
    return 'WHEN ? THEN ?';
  });
  return {
    sql: `UPDATE ${HEARTBEAT_TABLE} AS h, ${AURORA_TOPOLOGY_TABLE} AS s SET h.beat_ms = ?, s.REPLICA_LAG_IN_MILLISECONDS = CASE s.SERVER_ID ${cases.join(' ')} ELSE s.REPLICA_LAG_IN_MILLISECONDS END WHERE h.id = 1`,
    params,
  };
}
