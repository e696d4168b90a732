/**
 * The dialect contract: what one engine flavour's SQL can tell us (detection, topology,
 * instance id, writer check, reader check). Implementations live in one file per flavour.
 */
import type { Engine, PhysicalConnection } from '../drivers/driver.js';

export type DialectName =
  | 'aurora-postgres'
  | 'aurora-mysql'
  | 'multi-az-postgres'
  | 'multi-az-mysql'
  | 'postgres'
  | 'mysql'
  | 'mariadb'
  | 'postgres-replica-cluster';

/** One row of a cluster topology as the engine reports it. */
export interface TopologyRow {
  /** Instance identifier (Aurora server_id / RDS DB instance id). */
  instanceId: string;
  isWriter: boolean;
  cpu: number;
  lagMs: number;
  /** ms since epoch; undefined when the engine reports NULL. */
  lastUpdate?: number;
  /** Multi-AZ flavours report the endpoint and port of each instance. */
  endpoint?: string;
  port?: number;
}

export interface Dialect {
  readonly name: DialectName;
  readonly engine: Engine;
  /** Whether this flavour can report a topology (otherwise the host list is static). */
  readonly topologyAware: boolean;
  /**
   * The topology names instances by id only (Aurora): reaching an instance needs an instance
   * host pattern (`clusterInstanceHostPattern`, or one derived from an RDS host name).
   */
  readonly needsInstancePattern: boolean;
  /**
   * No topology metadata, but the configured hosts form a cluster whose roles are learnt by
   * asking each host `isWriter()` (a self-managed replica cluster).
   */
  readonly probesConfiguredHosts: boolean;
  /** More specific dialects to try on a connection once this one matched (e.g. postgres → aurora-postgres). */
  readonly refinements: readonly DialectName[];
  /** True when the connection's server is of this flavour. Must not throw on a mismatch. */
  matches(conn: PhysicalConnection): Promise<boolean>;
  /** The cluster topology as seen from this connection (may be stale on a reader). */
  queryTopology(conn: PhysicalConnection): Promise<TopologyRow[]>;
  /** This instance's identifier, or undefined when the flavour has none. */
  instanceId(conn: PhysicalConnection): Promise<string | undefined>;
  /** "Am I the writer?" answered by the instance itself (not from a possibly stale topology). */
  isWriter(conn: PhysicalConnection): Promise<boolean>;
  /** True when the instance is read-only (a replica / standby). */
  isReader(conn: PhysicalConnection): Promise<boolean>;
}
