/**
 * Public types of `aurora-ha/emulator`: options of `startCluster`, the cluster handle with
 * its control methods, endpoints, topology and timeline.
 */
import type { ClusterAws, ClusterSecret, SecretRotation } from './aws/cluster-aws.js';
import type { EmulatedEngine, EmulatedFlavor } from './engine.js';

export type { ClusterAws, ClusterSecret, SecretRotation } from './aws/cluster-aws.js';

export interface StartClusterOptions {
  engine: EmulatedEngine;
  /** Default `aurora`. */
  flavor?: EmulatedFlavor;
  /** Number of instances (1 writer + n-1 readers). Default 3. */
  instances?: number;
  /** Delay before the cluster endpoints follow a role change. Default 0. */
  dnsLagMs?: number;
  /** Delay between writer loss and promotion of a reader during failover(). Default 0. */
  promotionDelayMs?: number;
  /** Region and cluster id used in host names. Defaults: `us-east-1`, random. */
  region?: string;
  clusterId?: string;
  /**
   * Client connections each instance accepts (PostgreSQL `max_connections`, MariaDB
   * `max_connections`). Default 2000: 1,000 clients plus their monitors and failover probes.
   * Each slot costs PostgreSQL 30–46 KB of shared memory per instance, used or not; each open
   * session about 1.2 MB more (docs/emulator.md, *Connection headroom*).
   */
  maxConnections?: number;
  /**
   * Serve TLS only, like RDS with `rds.force_ssl` / `require_secure_transport`: a throw-away CA
   * signs a certificate naming every cluster, reader and instance name (present and future);
   * clients trust `cluster.tls.ca`. Plain client connections are refused. Needs the `openssl`
   * binary. Default false (docs/tls.md).
   */
  tls?: boolean;
  /** Log engine output and control-plane events to stderr. */
  verbose?: boolean;
  /**
   * IAM database authentication, enforced: `cluster.iamUser` logs in only with an RDS IAM auth
   * token (`@aws-sdk/rds-signer`, signed with `cluster.aws`) over TLS; everyone else keeps
   * password logins. Needs `tls: true`. Default false.
   */
  iam?: boolean;
  /** With `iam`: the emulator's cap on a token's age, on top of its own X-Amz-Expires. Default 900000 (15 min). */
  iamTokenTtlMs?: number;
  /** With `iam`: new IAM logins accepted per second per cluster (RDS throttles them); default: no limit. */
  iamLoginsPerSecond?: number;
  /**
   * Emulated AWS Secrets Manager (GetSecretValue, DescribeSecret, SigV4-checked) on the
   * cluster's loopback AWS-API server: `cluster.aws`, and `cluster.secret` holding the
   * credentials of a dedicated database user, rotated by `cluster.rotateSecret()`. Default false.
   */
  secretsManager?: boolean;
}

/** The counters of the IAM gate (`cluster.iamStats()`). */
export interface IamStats {
  /** IAM logins let in. */
  readonly accepted: number;
  /** Logins refused, by reason (`expired`, `wrong-host`, `wrong-port`, `wrong-user`, `bad-signature`, `malformed`, …). */
  readonly refused: Readonly<Record<string, number>>;
  /** Sum of `refused`. */
  readonly refusedTotal: number;
  /** Logins refused by the `iamLoginsPerSecond` throttle (not in `refused`). */
  readonly throttled: number;
}

/** What is wrong with a certificate served by `tls.serveBadCertificate`. */
export type BadCertificateKind = 'unknown-ca' | 'wrong-name';

/** The TLS side of a cluster started with `tls: true`. */
export interface ClusterTls {
  /** PEM of the throw-away CA that signed every certificate the cluster serves (pass it as `ca`). */
  readonly ca: string;
  /** DNS names on the server certificate (one wildcard per name family). */
  readonly names: readonly string[];
  /**
   * Fault: instance `id` serves a certificate a correct client refuses (`unknown-ca`, the
   * default: the right names signed by another CA; `wrong-name`: the cluster's CA, other
   * names) to new sessions; open sessions keep theirs. Resolves once new sessions get it.
   */
  serveBadCertificate(id: string, kind?: BadCertificateKind): Promise<void>;
  /** Ends serveBadCertificate: new sessions get the cluster's good certificate again. */
  serveGoodCertificate(id: string): Promise<void>;
}

export interface Endpoint {
  /** Aurora-style DNS name, resolvable in this process once the cluster runs (and in attached ones: `controlEndpoint`). */
  host: string;
  port: number;
}

export interface InstanceEndpoint extends Endpoint {
  id: string;
  role: 'writer' | 'reader' | 'down';
  /** The loopback address the name resolves to (the instance's fault proxy). */
  address: string;
}

export interface Credentials {
  user: string;
  password: string;
  database: string;
}

export type TimelineEventKind =
  | 'cluster-started'
  | 'writer-lost'
  | 'promoted'
  | 'dns-switched'
  | 'reader-repointed'
  | 'old-writer-back'
  | 'instance-crashed'
  | 'instance-rebooted'
  | 'instance-added'
  | 'instance-removed'
  | 'partitioned'
  | 'healed'
  | 'latency-set'
  | 'reader-held'
  | 'reader-released'
  | 'secret-pending'
  | 'secret-rotated';

export interface TimelineEvent {
  /** ms since epoch (Date.now()) */
  at: number;
  kind: TimelineEventKind;
  instanceId?: string;
  detail?: string;
}

export type PartitionMode = 'blackhole' | 'reset' | 'refuse';

export interface FailoverOptions {
  /** The reader to promote (default: the one with the most replication received). */
  target?: string;
  /**
   * The writer goes silent instead of dying loudly: its address is blackholed first (as with
   * `partition(id, { mode: 'blackhole' })`), so its open sockets get no reset and no FIN and
   * new connections to it hang, then its engine is killed and a reader promoted as usual.
   * Ends with `heal(id)`: connections that had reached the dead engine are then reset.
   */
  silent?: boolean;
  /**
   * The old writer is not rebuilt as a reader in the background: it stays `down`, and its
   * address refuses connections, until `reboot(id)` brings it back as a reader. Needs a live
   * reader to promote.
   */
  keepOldWriterDown?: boolean;
}

export interface EmulatedCluster {
  readonly engine: EmulatedEngine;
  readonly flavor: EmulatedFlavor;
  /** Writer cluster endpoint (`<cluster>.cluster-<id>.<region>.rds.amazonaws.com`). */
  readonly writerEndpoint: Endpoint;
  /** Reader cluster endpoint (`cluster-ro-`). */
  readonly readerEndpoint: Endpoint;
  /** Instance endpoints, current roles. */
  instances(): InstanceEndpoint[];
  /** Credentials of the non-superuser test user. */
  readonly credentials: Credentials;
  /** The cluster's CA and certificate faults when started with `tls: true`; undefined otherwise. */
  readonly tls: ClusterTls | undefined;
  /** The database user that logs in with IAM tokens only (`iam: true`); undefined otherwise. */
  readonly iamUser: string | undefined;
  /** Counters of IAM logins (all zero without `iam`). */
  iamStats(): IamStats;
  /** Instance host pattern, e.g. `?.abc123.us-east-1.rds.amazonaws.com`. */
  readonly instanceHostPattern: string;
  /** Writer dies (or steps down); best reader promoted after promotionDelayMs; returns when the new writer accepts writes. */
  failover(options?: FailoverOptions): Promise<{ newWriter: string }>;
  /** Graceful role swap: writer demoted, target promoted, no acknowledged write lost. */
  switchover(options?: { target?: string }): Promise<{ newWriter: string }>;
  crash(id: string): Promise<void>;
  reboot(id: string): Promise<void>;
  partition(id: string, options: { mode: PartitionMode }): void;
  /** Ends a partition (also the one of a silent failover) and any latency on this instance. */
  heal(id: string): void;
  latency(id: string, ms: number): void;
  /**
   * Freeze a reader's view of the cluster: replay stops on it (PostgreSQL
   * `pg_wal_replay_pause()`, MariaDB `STOP SLAVE SQL_THREAD`) while it keeps receiving, so its
   * data and topology metadata stay as they are, and a failover does not re-point it: it keeps
   * reporting the old writer until `release(id)`. Resolves once replay has stopped. Only a
   * live reader can be held; a held reader is promoted only if no other reader is left.
   */
  hold(id: string): Promise<void>;
  /** Replay resumes; a reader held through a failover then follows the current writer (its client connections drop, as on any re-point). No-op when not held. */
  release(id: string): Promise<void>;
  addReader(): Promise<InstanceEndpoint>;
  removeReader(id: string): Promise<void>;
  /** The topology as the control plane knows it (truth, not a replica's view). */
  topology(): InstanceEndpoint[];
  timeline(): TimelineEvent[];
  /** Wait until background recovery (old writer back as a reader, re-points) has finished. */
  settled(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The emulator's test AWS credentials and its loopback AWS-API endpoint, when the cluster
   * serves AWS APIs (`secretsManager` or `iam`: sign IAM tokens with them); undefined otherwise.
   * The keys are valid here only.
   */
  readonly aws: ClusterAws | undefined;
  /**
   * The cluster's control endpoint, `127.0.0.1:PORT`: set it as `AURORA_HA_EMULATOR` in another
   * process started with `node --import aurora-ha/emulator/attach` (or `--require`) and that
   * process resolves the cluster's names like this one, with the same `dnsLagMs`
   * (docs/emulator.md, *Attach another process*). Closed by stop().
   */
  readonly controlEndpoint: string;
  /** The cluster's secret (`secretsManager: true`): `{ username, password, engine, host, port, dbClusterIdentifier }`. */
  readonly secret: ClusterSecret | undefined;
  /**
   * Rotates the secret like Secrets Manager: the new password is staged AWSPENDING and set on
   * every live instance (writer; replicas have applied it before this resolves), then
   * AWSCURRENT moves `windowMs` later (default 5 s) — `completed()` resolves then. During the
   * window the old password no longer logs in. Timeline: `secret-pending`, `secret-rotated`.
   */
  rotateSecret(options?: { windowMs?: number }): Promise<SecretRotation>;
}
