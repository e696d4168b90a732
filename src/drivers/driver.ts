/**
 * The driver-adapter contract: the only boundary between aurora-ha and a database driver
 * (`pg`, `mysql2`). Plugins, dialects and host providers see these interfaces, never a driver.
 */
import type { ConnectPurpose } from '../observe/channels.js';
import type { HostInfo } from './host-info.js';

export type Engine = 'postgres' | 'mysql';

/**
 * Why a driver call failed, decided from error codes only (never message text):
 * - `network`: the physical connection is gone or unreachable (PG SQLSTATE 08*, 57P01-03,
 *   58*; ECONNRESET/ECONNREFUSED/ETIMEDOUT/EPIPE/EHOSTUNREACH; MySQL
 *   2002/2003/2006/2013/2055, PROTOCOL_CONNECTION_LOST)
 * - `login`: credentials refused (PG 28000/28P01, MySQL 1045)
 * - `read-only`: a write reached a read-only instance (PG 25006, MySQL 1290/1836)
 * - `other`: an SQL error that says nothing about the connection.
 */
export type ErrorKind = 'network' | 'login' | 'read-only' | 'other';

/** Session settings aurora-ha can capture and restore on a new physical connection. */
export interface SessionState {
  autocommit?: boolean;
  readOnly?: boolean;
  /** e.g. `read committed`, `repeatable read`, `serializable`, `read uncommitted`. */
  isolationLevel?: string;
  /** PG: first schema of search_path; MySQL: current database. */
  schema?: string;
  /**
   * PG only: the whole `search_path` setting as the server reports it. When present it is
   * restored verbatim (so fallbacks like `public` are kept); `schema` is used otherwise.
   */
  searchPath?: string;
  /**
   * Session parameters the server reported changed since connect (never parsed from SQL):
   * PG ParameterStatus (`TimeZone`, `DateStyle`, `IntervalStyle`, `application_name`,
   * `default_transaction_read_only`), MySQL session-state tracking (`time_zone` and whatever
   * `session_track_system_variables` lists). Name → value as the server reported it.
   */
  parameters?: Record<string, string>;
}

/** One open driver connection to one instance. */
export interface PhysicalConnection<TNative = unknown> {
  /** The host it was opened to (as requested, e.g. a cluster endpoint or an instance). */
  readonly host: HostInfo;
  /** The driver's own connection object (`pg.Client`, mysql2 `Connection`). */
  readonly native: TNative;
  /** True once closed, aborted, or after the driver reported the socket lost. */
  readonly closed: boolean;
  /** Internal query for dialect/topology SQL: rows as positional arrays. */
  queryRows(sql: string, timeoutMs?: number): Promise<unknown[][]>;
  /**
   * Like `queryRows`, with the column names (for statements whose column order differs
   * between servers, e.g. `SHOW REPLICA STATUS`). Optional; both built-in adapters have it.
   */
  queryWithColumns?(sql: string, timeoutMs?: number): Promise<{ columns: string[]; rows: unknown[][] }>;
  /** True while a transaction is open, read from the protocol (PG ReadyForQuery, MySQL status flags). */
  inTransaction(): boolean;
  /**
   * Whether a query sent now can get an answer: false once closed, and on PostgreSQL inside a
   * failed transaction (every statement but ROLLBACK fails with 25P02 there). Optional: when
   * absent, callers assume it cannot.
   */
  acceptsQueries?(): boolean;
  /** Session state this connection learned from the protocol (no I/O); optional. */
  reportedSessionState?(): SessionState;
  /**
   * Set by the failover plugin on a connection to a reader when `retryReadsOnFailover` applies:
   * the facades then note the statements that change or bind the session
   * (connection/session-statements.ts). Optional.
   */
  watchSession?: boolean;
  /**
   * A statement on this session changed or bound its state (SET, USE, a lock, LISTEN, a
   * cursor, …): a read that fails on it is never sent again on another connection. Optional.
   */
  sessionTouched?: boolean;
  /**
   * The driver's own object for the command it is running now (pg's Query, mysql2's Command),
   * undefined when idle: identity only, read by host monitoring's sampler. Optional; both
   * built-in adapters have it.
   */
  activeCall?(): object | undefined;
  /** Destroy the socket now; pending calls reject. Never throws. */
  abort(): void;
  /** Graceful close (Terminate / COM_QUIT); falls back to abort after a short grace. Never rejects. */
  close(): Promise<void>;
  /** Register a listener for asynchronous errors of this connection (socket lost while idle). */
  onError(listener: (err: Error) => void): void;
  /**
   * The IP address and port the socket is connected to (the instance behind a cluster
   * endpoint), when the socket is open. Optional; both built-in adapters have it.
   */
  remoteAddress?(): { address: string; port: number } | undefined;
}

export interface ConnectOptions {
  /** Bound on TCP connect + handshake + auth. */
  timeoutMs?: number;
  /** Cancels the attempt (the half-open socket is destroyed). */
  signal?: AbortSignal;
  /**
   * When `host.host` is an IP address (a probe of the instance behind a cluster endpoint): the
   * name the server's certificate must carry, so TLS hostname verification still runs (pg:
   * `ssl.servername`; mysql2: `host` is the name, the socket goes to the address). Ignored
   * without the user's `ssl` option. docs/tls.md.
   */
  tlsServerName?: string;
  /**
   * Why aurora-ha opens it, as published on `aurora-ha:connect` (docs/observability.md);
   * `user` when absent.
   */
  purpose?: ConnectPurpose;
  /** The logical connection it is for, when there is one (published with the purpose). */
  connectionId?: number;
}

/** Engine-specific glue; one instance per driver module, stateless. */
export interface DriverAdapter<TConfig = unknown, TNative = unknown> {
  readonly engine: Engine;
  readonly defaultPort: number;
  /** Open a physical connection to `host` using the user's driver options with host/port replaced. */
  connect(
    host: HostInfo,
    driverConfig: TConfig,
    options?: ConnectOptions,
  ): Promise<PhysicalConnection<TNative>>;
  /**
   * Classify an error from this driver by code. Pass the connection the error came from
   * when known: some driver errors carry no code and are recognised as a lost connection
   * because that connection is already closed.
   */
  classify(err: unknown, conn?: PhysicalConnection<TNative>): ErrorKind;
  /**
   * The driver config with new credentials (`user`, `password`, `database`, ... as the driver
   * names them) applied wherever the driver reads them (a connection URL included). Optional:
   * without it the fields are merged into the config object.
   */
  withCredentials?(driverConfig: TConfig, change: Readonly<Record<string, unknown>>): TConfig;
  /** Read the session state of a connection (one round trip). */
  readSessionState(conn: PhysicalConnection<TNative>): Promise<SessionState>;
  /** Apply a session state on a fresh connection, identifiers properly quoted. */
  restoreSessionState(conn: PhysicalConnection<TNative>, state: SessionState): Promise<void>;
}
