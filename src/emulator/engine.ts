/**
 * The contract between the emulator's control plane (cluster.ts: DNS, fault proxies,
 * timeline, failover choreography) and one engine backend (PostgreSQL or MariaDB).
 * A backend manages real server processes; it knows nothing about DNS or proxies.
 */

import type { MysqlIamLogin } from './mysql/mysql-iam-login.js';

export type EmulatedEngine = 'postgres' | 'mysql';
/**
 * `aurora` and `multi-az` serve the metadata of Aurora / RDS Multi-AZ DB clusters; `replica`
 * (PostgreSQL only) is a self-managed streaming-replication cluster: a primary and hot standbys
 * with no cluster metadata at all, as on EC2 or on premises.
 */
export type EmulatedFlavor = 'aurora' | 'multi-az' | 'replica';

/** One instance as the backend sees it. */
export interface BackendInstance {
  /** Aurora-style instance id, e.g. `instance-1`. */
  readonly id: string;
  /** Loopback address the engine listens on (internal; clients go through the fault proxy). */
  readonly address: string;
  readonly port: number;
  /** Private directory for this instance (data dir, socket, logs). */
  readonly dir: string;
  /** Set when the cluster serves TLS (`tls: true`): this instance's certificate files. */
  readonly tls?: InstanceTlsFiles;
}

/** Certificate files of one instance (PEM); rewritten in place by the certificate faults. */
export interface InstanceTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The cluster's CA, trusted on the engines' own replication legs. */
  readonly caFile: string;
}

/** What the control plane writes into the writer's metadata so Aurora's SQL answers truthfully. */
export interface TopologyRecord {
  instanceId: string;
  isWriter: boolean;
  /** Public endpoint (instance host name) and port, used by the Multi-AZ flavour. */
  endpoint: string;
  port: number;
  cpu: number;
  lagMs: number;
}

/** Client connections each engine instance accepts unless told otherwise (`maxConnections`). */
export const DEFAULT_MAX_CONNECTIONS = 2000;

export interface BackendOptions {
  flavor: EmulatedFlavor;
  /** Client connections each instance accepts (max_connections). Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Serve TLS only (`tls: true`): plain client connections are refused. */
  tls?: boolean;
  /** Root of this cluster's temp files. */
  workDir: string;
  /** IAM database authentication is enforced (`iam: true`); undefined otherwise. */
  iam?: BackendIam;
  /** Test user created on the writer (not a superuser / without READ ONLY ADMIN). */
  user: string;
  password: string;
  database: string;
}

/** What a backend needs to enforce IAM logins (the cluster's IAM gate decides each token). */
export interface BackendIam {
  /** The database user that logs in with tokens only (member of `rds_iam` on PostgreSQL). */
  readonly user: string;
  /** PostgreSQL: port of the cluster's LDAP responder on 127.0.0.1 (pg_hba `ldap` lines). */
  readonly ldapPort?: number;
  /** MySQL: the metadata proxy's IAM login check and the user's real password. */
  readonly mysqlLogin?: MysqlIamLogin;
}

export interface EngineBackend {
  readonly engine: EmulatedEngine;
  /** Start a fresh writer (initdb / install-db, or from the template cache), create user/db/metadata. */
  startWriter(inst: BackendInstance): Promise<void>;
  /** Start a replica of `writer` (base backup / dump + replication), read-only. */
  startReader(inst: BackendInstance, writer: BackendInstance): Promise<void>;
  /** Promote a replica to writer (writable, accepts replicas). */
  promote(inst: BackendInstance): Promise<void>;
  /** Make a running replica follow another writer (brief disconnects are fine, like Aurora). */
  repoint(inst: BackendInstance, writer: BackendInstance): Promise<void>;
  /** Replication position, comparable between replicas (higher = more advanced); used to pick the promotion target. */
  replicationPosition(inst: BackendInstance): Promise<bigint>;
  /** Kill the server process now (SIGKILL), like an instance crash. */
  crash(inst: BackendInstance): Promise<void>;
  /** Stop cleanly. */
  stop(inst: BackendInstance): Promise<void>;
  /** Start a stopped/crashed instance again with its data (reboot). */
  restart(inst: BackendInstance): Promise<void>;
  /** Rebuild a failed former writer as a replica of `writer` (fresh base backup is fine). */
  rebuildAsReader(inst: BackendInstance, writer: BackendInstance): Promise<void>;
  /** Write the topology metadata on the writer; it reaches replicas by replication. */
  writeTopology(writer: BackendInstance, rows: readonly TopologyRecord[]): Promise<void>;
  /** Stop every process and remove every file of this backend. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Optional backend capabilities (added after the first contract; backends may omit them).
 */
export interface EngineBackend {
  /**
   * Make the writer's commits wait for one replica (`on`) or not. The control plane turns it
   * off while no reader is alive, so a writer without replicas still accepts writes.
   */
  setSynchronous?(writer: BackendInstance, on: boolean): Promise<void>;
  /**
   * Stop applying replication on a replica, which keeps receiving (and acknowledging) it: its
   * data, topology metadata included, stays as it is. Resolves once replay has really stopped.
   */
  pauseReplay?(inst: BackendInstance): Promise<void>;
  /** Apply replication again after pauseReplay. */
  resumeReplay?(inst: BackendInstance): Promise<void>;
  /**
   * Load the instance's certificate files again (they were rewritten); resolves once new
   * client sessions get the new certificate. Only called when the cluster serves TLS.
   */
  reloadTls?(inst: BackendInstance): Promise<void>;
}

/**
 * Optional capabilities for measured replica lag (replica-lag.ts, Aurora flavour): a heartbeat
 * row on the writer, read back on each reader. Every call is bounded by `timeoutMs`.
 */
export interface EngineBackend {
  /**
   * On the writer, in one statement: store the heartbeat `beatMs` (a `Date.now()` value) and,
   * when `lags` is given, set those readers' lag (ms) in the topology status rows.
   */
  writeHeartbeat?(
    writer: BackendInstance,
    beatMs: number,
    lags: ReadonlyMap<string, number> | undefined,
    timeoutMs: number,
  ): Promise<void>;
  /** The last heartbeat `inst` has replayed (0 before the first one reached it). */
  replayedHeartbeat?(inst: BackendInstance, timeoutMs: number): Promise<number>;
}

/** Optional capabilities for Secrets Manager's rotating user (issue 22, `secretsManager: true`). */
export interface EngineBackend {
  /** Create a login user with the test user's privileges, on the writer (replicas follow by replication). */
  createLoginUser?(writer: BackendInstance, user: string, password: string): Promise<void>;
  /** Change a user's password on the writer (replicas follow by replication); open sessions stay. */
  setPassword?(writer: BackendInstance, user: string, password: string): Promise<void>;
  /** The stored password verifier of `user` on `inst` (to see that a replica applied a change); undefined without the user. */
  passwordVerifier?(inst: BackendInstance, user: string): Promise<string | undefined>;
}
