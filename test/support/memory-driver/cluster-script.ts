/**
 * The scripted cluster behind the in-memory driver: instances with a role, what each answers to
 * the topology query (the truth, or a stale view a test pins), how each takes a connect
 * (accept after a delay, refuse, stay silent), whether open connections answer, and the script
 * steps a test plays (promotion, failover, switchover, reset, silence). Pure state: the fake
 * connection (memory-connection.ts) reads it on every call, so a step takes effect at once.
 */
import { randomBytes } from 'node:crypto';
import type { MemoryConnection } from './memory-connection.js';

export type Role = 'writer' | 'reader';
/** How an instance takes a new connection. */
export type ConnectMode = 'accept' | 'refuse' | 'silent';

/** One row of a topology view, before it becomes Aurora SQL rows (aurora-answers.ts). */
export interface ViewRow {
  readonly id: string;
  readonly isWriter: boolean;
  /** ms since epoch; the row's last_update_timestamp. */
  readonly lastUpdate: number;
  /** replica_lag_in_msec (the writer's row: 0). */
  readonly lagMs: number;
}

/** What happened, in order (tests read it to assert what was tried, never to drive decisions). */
export interface ClusterEvent {
  readonly at: number;
  readonly what: 'connect' | 'refused' | 'silent-connect' | 'query' | 'reset' | 'step';
  readonly instance: string;
  readonly detail?: string;
}

export class MemoryInstance {
  role: Role;
  connectMode: ConnectMode = 'accept';
  /**
   * Decides each connect attempt instead of `connectMode` when set (its argument counts this
   * instance's attempts from 1): e.g. accept the monitor's probe, refuse the logins after it.
   */
  connectScript: ((attempt: number) => ConnectMode) | undefined;
  /** Delay before a connect is answered (accepted or refused). */
  connectDelayMs = 0;
  /** Open connections: 'silent' leaves every query unanswered until aborted or timed out. */
  queryMode: 'answer' | 'silent' = 'answer';
  /** Delay before a query is answered. */
  queryDelayMs = 0;
  /**
   * An error to answer a statement with at once (even while `queryMode` is silent), the
   * connection left open: e.g. one call's ECONNRESET while another is still in flight on it.
   */
  queryError: ((sql: string) => Error | undefined) | undefined;
  /**
   * When > 0, calls pending on a connection our side aborts hear of it this much later, with a
   * code-less error that does not say the connection was lost (pg fails its queued queries on a
   * later tick, worded its own way): a failover may have replaced the connection by then.
   */
  abortedCallsLateMs = 0;
  /** A pinned topology view (stale reader); undefined = the cluster's current truth. */
  view: readonly ViewRow[] | undefined;
  /**
   * After an error inside a transaction, how long the connection still reports the transaction
   * as open and healthy ('T') before the failed state ('E') arrives: pg delivers ErrorResponse
   * before the ReadyForQuery that carries it.
   */
  readyForQueryLagMs = 0;
  /** Answers every user write with read-only (25006) even on the writer (the user's own read-only). */
  userReadOnly = false;
  /** Listed in the topology (the emulator and Aurora drop an instance while it is down). */
  listed = true;
  /** The replica lag the topology reports for this instance while it is a reader. */
  lagMs = 2;
  readonly open = new Set<MemoryConnection>();
  connectAttempts = 0;

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    role: Role,
  ) {
    this.role = role;
  }
}

export interface ClusterOptions {
  /** Number of instances; the first is the writer. Default 3. */
  readonly instances?: number;
  readonly port?: number;
}

export class MemoryCluster {
  /** Unique per cluster, so process-wide registries (topology cache, monitors, dialect cache, gates) never mix tests. */
  readonly dnsId: string;
  readonly domain = 'us-east-1.rds.amazonaws.com';
  readonly port: number;
  readonly endpoint: string;
  readonly readerEndpoint: string;
  readonly instances: MemoryInstance[] = [];
  readonly events: ClusterEvent[] = [];
  /** The instance the writer endpoint resolves to (DNS lag); undefined = the current writer. */
  endpointTarget: string | undefined;
  private readonly updatedAt = new Map<string, number>();

  constructor(options: ClusterOptions = {}) {
    this.dnsId = `m${randomBytes(5).toString('hex')}`;
    this.port = options.port ?? 5432;
    this.endpoint = `db.cluster-${this.dnsId}.${this.domain}`;
    this.readerEndpoint = `db.cluster-ro-${this.dnsId}.${this.domain}`;
    const n = options.instances ?? 3;
    for (let i = 1; i <= n; i++) {
      const id = `instance-${i}`;
      this.instances.push(new MemoryInstance(id, this.hostOf(id), this.port, i === 1 ? 'writer' : 'reader'));
      this.updatedAt.set(id, Date.now());
    }
  }

  hostOf(id: string): string {
    return `${id}.${this.dnsId}.${this.domain}`;
  }

  instance(id: string): MemoryInstance {
    const found = this.instances.find((i) => i.id === id);
    if (found === undefined) throw new Error(`no instance ${id}`);
    return found;
  }

  writer(): MemoryInstance | undefined {
    return this.instances.find((i) => i.role === 'writer');
  }

  readers(): MemoryInstance[] {
    return this.instances.filter((i) => i.role === 'reader');
  }

  /** The instance a host name reaches (cluster endpoints resolve like DNS), or undefined (ENOTFOUND). */
  resolve(host: string): MemoryInstance | undefined {
    const name = host.toLowerCase();
    if (name === this.endpoint) {
      return this.endpointTarget !== undefined ? this.instance(this.endpointTarget) : this.writer();
    }
    if (name === this.readerEndpoint) return this.readers()[0] ?? this.writer();
    return this.instances.find((i) => i.host === name);
  }

  /** The topology as it is now. */
  truth(): ViewRow[] {
    return this.instances
      .filter((i) => i.listed)
      .map((i) => ({
        id: i.id,
        isWriter: i.role === 'writer',
        lastUpdate: this.updatedAt.get(i.id) ?? Date.now(),
        lagMs: i.role === 'writer' ? 0 : i.lagMs,
      }));
  }

  /** What `instance` answers to the topology query. */
  viewOf(instance: MemoryInstance): readonly ViewRow[] {
    return instance.view ?? this.truth();
  }

  note(what: ClusterEvent['what'], instance: string, detail?: string): void {
    this.events.push({ at: Date.now(), what, instance, ...(detail !== undefined ? { detail } : {}) });
  }

  /** Events of one kind (optionally for one instance). */
  count(what: ClusterEvent['what'], instance?: string): number {
    return this.events.filter((e) => e.what === what && (instance === undefined || e.instance === instance))
      .length;
  }

  // ---- script steps ----

  /** `id` becomes the writer, the writer a reader; open connections stay (a switchover's roles). */
  promote(id: string): void {
    const now = Date.now();
    for (const i of this.instances) {
      const role: Role = i.id === id ? 'writer' : 'reader';
      if (i.role !== role) this.updatedAt.set(i.id, now);
      i.role = role;
    }
    this.note('step', id, 'promote');
  }

  /** Pin what the readers (or the given instances) answer to the topology query: the view as of now. */
  freezeViews(ids: readonly string[] = this.readers().map((r) => r.id)): void {
    const snapshot = this.truth();
    for (const id of ids) this.instance(id).view = snapshot;
  }

  /** Every instance answers the truth again. */
  thawViews(): void {
    for (const i of this.instances) i.view = undefined;
  }

  /**
   * Aurora's failover: the writer dies (its connections reset, new connects refused), `newWriter`
   * is promoted; the readers keep reporting the old topology until thawViews() (replication lag).
   */
  failover(newWriter: string, options: { staleReaders?: boolean } = {}): void {
    const old = this.writer();
    if (options.staleReaders !== false) this.freezeViews(this.readers().map((r) => r.id));
    if (old !== undefined) {
      old.connectMode = 'refuse';
      this.reset(old.id);
    }
    this.promote(newWriter);
    // The promoted instance knows the truth at once.
    this.instance(newWriter).view = undefined;
    this.note('step', newWriter, 'failover');
  }

  /** Every open connection of `id` is reset (pending calls fail ECONNRESET, idle ones report the loss). */
  reset(id: string): void {
    const inst = this.instance(id);
    this.note('reset', id);
    for (const c of [...inst.open]) c.serverReset();
  }

  /** `id` stops answering: connects and queries hang until the caller gives up. */
  silence(id: string): void {
    const inst = this.instance(id);
    inst.connectMode = 'silent';
    inst.queryMode = 'silent';
    this.note('step', id, 'silence');
  }

  /** `id` answers again (connects accepted). */
  heal(id: string): void {
    const inst = this.instance(id);
    inst.connectMode = 'accept';
    inst.queryMode = 'answer';
    this.note('step', id, 'heal');
  }

  /** Every instance down: connects refused, open connections reset. */
  killAll(): void {
    for (const i of this.instances) {
      i.connectMode = 'refuse';
      this.reset(i.id);
    }
  }

  /** Open connections across the cluster (a leak check). */
  openConnections(): number {
    return this.instances.reduce((n, i) => n + i.open.size, 0);
  }
}
