/**
 * SQL installed once in the template (template1, so the test database inherits it): the
 * replicated topology table the control plane writes, and the Aurora / RDS Multi-AZ
 * functions that read it, so the exact dialect queries of src/dialects/sql.ts work unmodified.
 */
import type { EmulatedFlavor, TopologyRecord } from '../engine.js';

/** Shared by both flavours: written on the writer, read everywhere via replication. */
const TOPOLOGY_TABLE = `
CREATE SCHEMA aurora_ha;
GRANT USAGE ON SCHEMA aurora_ha TO PUBLIC;
CREATE TABLE aurora_ha.replica_status (
  server_id text PRIMARY KEY,
  session_id text NOT NULL,
  is_writer boolean NOT NULL,
  endpoint text NOT NULL,
  port integer NOT NULL,
  cpu double precision NOT NULL DEFAULT 0,
  replica_lag_in_msec double precision,
  last_update_timestamp timestamptz
);
GRANT SELECT ON aurora_ha.replica_status TO PUBLIC;
`;

/**
 * Aurora: functions in pg_catalog, and pg_settings extended by the placeholder
 * rds.extensions (placeholder GUCs are hidden from pg_show_all_settings). The replacement
 * view keeps the original columns, so the view's update rules keep working.
 */
const AURORA = `
CREATE FUNCTION pg_catalog.aurora_replica_status()
RETURNS TABLE (server_id text, session_id text, cpu double precision, replica_lag_in_msec double precision, last_update_timestamp timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT server_id, session_id, cpu, replica_lag_in_msec, last_update_timestamp FROM aurora_ha.replica_status
$$;
CREATE FUNCTION pg_catalog.aurora_db_instance_identifier() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT current_setting('aurora_ha.instance_id', true) $$;
SET allow_system_table_mods = on;
CREATE OR REPLACE VIEW pg_catalog.pg_settings AS
  SELECT * FROM pg_catalog.pg_show_all_settings() AS a
  UNION ALL
  SELECT 'rds.extensions'::text, current_setting('rds.extensions', true), NULL::text,
         'Customized Options'::text, 'Extensions installed on this instance.'::text, NULL::text,
         'sighup'::text, 'string'::text, 'configuration file'::text, NULL::text, NULL::text,
         NULL::text[], NULL::text, current_setting('rds.extensions', true), NULL::text,
         NULL::integer, false
  WHERE current_setting('rds.extensions', true) IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_show_all_settings() AS s WHERE s.name = 'rds.extensions');
RESET allow_system_table_mods;
CREATE TABLE aurora_ha.heartbeat (id integer PRIMARY KEY, beat_ms bigint NOT NULL);
INSERT INTO aurora_ha.heartbeat VALUES (1, 0);
`;

/** RDS Multi-AZ DB cluster: plain SQL functions in schema rds_tools. */
const MULTI_AZ = `
CREATE SCHEMA rds_tools;
GRANT USAGE ON SCHEMA rds_tools TO PUBLIC;
CREATE FUNCTION rds_tools.show_topology(product text DEFAULT NULL)
RETURNS TABLE (id text, endpoint text, port integer)
LANGUAGE sql STABLE AS $$ SELECT server_id, endpoint, port FROM aurora_ha.replica_status ORDER BY server_id $$;
CREATE FUNCTION rds_tools.multi_az_db_cluster_source_dbi_resource_id()
RETURNS TABLE (multi_az_db_cluster_source_dbi_resource_id text)
LANGUAGE sql STABLE AS $$ SELECT server_id FROM aurora_ha.replica_status WHERE is_writer ORDER BY last_update_timestamp DESC LIMIT 1 $$;
CREATE FUNCTION rds_tools.dbi_resource_id()
RETURNS TABLE (dbi_resource_id text)
LANGUAGE sql STABLE AS $$ SELECT current_setting('aurora_ha.instance_id', true) $$;
`;

export function metadataSql(flavor: EmulatedFlavor): string {
  // A self-managed replica cluster has no metadata functions: only the control plane's table.
  if (flavor === 'replica') return TOPOLOGY_TABLE;
  return TOPOLOGY_TABLE + (flavor === 'aurora' ? AURORA : MULTI_AZ);
}

/** Value of rds.extensions on Aurora instances (detection looks for aurora_stat_utils). */
export const RDS_EXTENSIONS = 'aurora_stat_utils,pg_stat_statements,plpgsql';

/** Statement + parameters replacing the topology rows (one transaction, local commit). */
export function topologyRows(rows: readonly TopologyRecord[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((r, i) => {
    const b = i * 7;
    values.push(
      r.instanceId,
      r.isWriter ? 'MASTER_SESSION_ID' : `session-${r.instanceId}`,
      r.isWriter,
      r.endpoint,
      r.port,
      r.cpu,
      r.lagMs,
    );
    const p = (n: number): string => `$${b + n}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, now())`;
  });
  return {
    text: `INSERT INTO aurora_ha.replica_status (server_id, session_id, is_writer, endpoint, port, cpu, replica_lag_in_msec, last_update_timestamp) VALUES ${tuples.join(', ')}`,
    values,
  };
}

/** What a reader has replayed of the replica-lag heartbeat (replica-lag.ts). */
export const REPLAYED_HEARTBEAT = 'SELECT beat_ms::float8 AS beat FROM aurora_ha.heartbeat WHERE id = 1';

/**
 * One statement on the writer: the new heartbeat and, when given, the readers' lags in the
 * status rows (a data-modifying CTE, so both commit together).
 */
export function heartbeatStatement(
  beatMs: number,
  lags: ReadonlyMap<string, number> | undefined,
): { text: string; values: unknown[] } {
  const beat = 'UPDATE aurora_ha.heartbeat SET beat_ms = $1 WHERE id = 1';
  if (lags === undefined || lags.size === 0) return { text: beat, values: [beatMs] };
  const values: unknown[] = [beatMs];
  const tuples = [...lags].map(([id, lag]) => {
    values.push(id, lag);
    return `($${values.length - 1}::text, $${values.length}::double precision)`;
  });
  return {
    text: `WITH beat AS (${beat}) UPDATE aurora_ha.replica_status AS s SET replica_lag_in_msec = v.lag FROM (VALUES ${tuples.join(', ')}) AS v(id, lag) WHERE s.server_id = v.id`,
    values,
  };
}
