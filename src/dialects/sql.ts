/**
 * The exact SQL each engine flavour is asked (ARCHITECTURE.md › Dialect SQL and topology rules). One source of truth: the dialects
 * send these strings and the emulator's tests check that they work unmodified.
 */

export const AURORA_PG = {
  detect:
    "SELECT (setting LIKE '%aurora_stat_utils%') FROM pg_catalog.pg_settings WHERE name = 'rds.extensions'",
  topology:
    "SELECT server_id, CASE WHEN session_id = 'MASTER_SESSION_ID' THEN TRUE ELSE FALSE END AS is_writer, cpu, COALESCE(replica_lag_in_msec, 0) AS lag, last_update_timestamp FROM pg_catalog.aurora_replica_status() WHERE EXTRACT(EPOCH FROM (NOW() - last_update_timestamp)) <= 300 OR session_id = 'MASTER_SESSION_ID' OR last_update_timestamp IS NULL",
  instanceId: 'SELECT pg_catalog.aurora_db_instance_identifier()',
  writerCheck:
    "SELECT server_id FROM pg_catalog.aurora_replica_status() WHERE session_id = 'MASTER_SESSION_ID' AND server_id = pg_catalog.aurora_db_instance_identifier()",
  isReader: 'SELECT pg_catalog.pg_is_in_recovery()',
} as const;

export const AURORA_MYSQL = {
  detect: "SHOW VARIABLES LIKE 'aurora_version'",
  topology:
    "SELECT SERVER_ID, CASE WHEN SESSION_ID = 'MASTER_SESSION_ID' THEN TRUE ELSE FALSE END AS IS_WRITER, CPU, REPLICA_LAG_IN_MILLISECONDS AS LAG_MS, LAST_UPDATE_TIMESTAMP FROM information_schema.replica_host_status WHERE time_to_sec(timediff(now(), LAST_UPDATE_TIMESTAMP)) <= 300 OR SESSION_ID = 'MASTER_SESSION_ID'",
  instanceId: 'SELECT @@aurora_server_id',
  writerCheck:
    "SELECT SERVER_ID FROM information_schema.replica_host_status WHERE SESSION_ID = 'MASTER_SESSION_ID' AND SERVER_ID = @@aurora_server_id",
  isReader: 'SELECT @@innodb_read_only',
} as const;

export const MULTI_AZ_PG = {
  detect:
    "SELECT 1 FROM information_schema.routines WHERE routine_schema = 'rds_tools' AND routine_name = 'multi_az_db_cluster_source_dbi_resource_id'",
  topology: "SELECT id, endpoint, port FROM rds_tools.show_topology('aurora-ha')",
  writerId:
    'SELECT multi_az_db_cluster_source_dbi_resource_id FROM rds_tools.multi_az_db_cluster_source_dbi_resource_id()',
  instanceId: 'SELECT dbi_resource_id FROM rds_tools.dbi_resource_id()',
  isReader: 'SELECT pg_catalog.pg_is_in_recovery()',
} as const;

export const MULTI_AZ_MYSQL = {
  detect:
    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'mysql' AND table_name = 'rds_topology'",
  topology: 'SELECT id, endpoint, port FROM mysql.rds_topology',
  /** Source_Server_Id (MySQL) / Master_Server_Id (MariaDB) column; no row on the writer. */
  replicaStatus: 'SHOW REPLICA STATUS',
  instanceId: 'SELECT @@server_id',
  isReader: 'SELECT @@read_only',
} as const;

export const PLAIN_PG = {
  detect: 'SELECT version()',
  isReader: 'SELECT pg_catalog.pg_is_in_recovery()',
} as const;

export const PLAIN_MYSQL = {
  /**
   * MariaDB says so in `VERSION()` (`10.11.6-MariaDB-...`); `version_comment` alone is not
   * enough (Debian's MariaDB reports `Debian 12` there), so both are read.
   */
  detect: 'SELECT VERSION(), @@version_comment',
  isReader: 'SELECT @@read_only',
} as const;

/** Self-managed PostgreSQL streaming replication (a primary and hot standbys, no metadata). */
export const PG_REPLICA_CLUSTER = {
  /** A standby, or a primary with at least one standby attached. */
  detect: 'SELECT pg_catalog.pg_is_in_recovery() OR EXISTS (SELECT 1 FROM pg_catalog.pg_stat_replication)',
  isReader: 'SELECT pg_catalog.pg_is_in_recovery()',
} as const;
