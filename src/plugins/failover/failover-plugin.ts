/**
 * The failover plugin (v1, seeds 001/002): each logical connection finds its own replacement.
 * On a failover trigger (failover-core/failover-plugin-base.ts decides which, and shapes the
 * outcome) it searches the cluster's shared topology itself: the writer search of
 * writer-failover.ts in strict-writer mode, the reader search of reader-failover.ts otherwise.
 * The topology is learnt through each new connection (a cache shared per cluster, with a TTL)
 * and kept fresh while connections live.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import { FailoverPluginBase } from '../failover-core/failover-plugin-base.js';
import type { FailoverContext, FailoverResult } from '../failover-core/failover-context.js';
import { withTimeout, type Deadline } from '../../core/time.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { readerFailover } from '../failover-core/reader-failover.js';
import { writerFailover } from './writer-failover.js';

/** Bound on the topology refresh done on the new connection. */
const AFTER_FAILOVER_STEP_MS = 2000;

export class FailoverPlugin extends FailoverPluginBase {
  readonly code = 'failover';
  protected readonly writerWord = 'writer';

  protected topologyKnown(): boolean {
    const s = this.service;
    if (s.dialect === undefined || !s.dialect.topologyAware) return false;
    return s.hosts().length > 0;
  }

  protected clusterHosts(): readonly HostInfo[] {
    return this.service.hosts();
  }

  /**
   * Failover needs the cluster's hosts before anything fails: read the topology through the new
   * connection (the cache is shared per cluster with a TTL, so most connects cost no query; a
   * stale copy joins a read already in flight through another connection). Both queries are
   * bounded: a silent instance must not make connect() hang (the connection is aborted on
   * timeout; connect() then rejects). The instance id query always goes through the new
   * connection: it is what proves the connection answers when the topology costs it nothing.
   */
  protected async learnTopology(conn: PhysicalConnection): Promise<HostInfo | undefined> {
    const s = this.service;
    if (!s.config.options.enableFailover || s.dialect === undefined || !s.dialect.topologyAware) return;
    const bound = this.internalQueryBoundMs();
    const giveUp = (): void => conn.abort();
    await withTimeout(s.refreshHostList(conn, bound), bound, 'topology query', undefined, giveUp);
    // A cluster endpoint hides the instance; knowing it lets failover skip the failed one.
    return withTimeout(s.identifyConnection(conn), bound, 'instance id query', undefined, giveUp);
  }

  protected search(ctx: FailoverContext): Promise<FailoverResult> {
    return this.mode === 'strict-writer' ? writerFailover(ctx) : readerFailover(ctx);
  }

  /**
   * Keep the shared topology fresh while connections live: once per topologyRefreshMs per
   * cluster, after a successful call, through this connection when it is idle.
   */
  protected override afterCall(guarded: Promise<unknown>): void {
    if (this.service.topologyStale?.() !== true) return;
    void guarded.then(
      () => this.service.refreshTopologyQuietly?.(this.internalQueryBoundMs()),
      () => undefined,
    );
  }

  /**
   * The topology was not learnt at connect (issue 9: a failure then surfaced as a raw socket
   * error): read it now through a short connection to the host the user gave (a cluster
   * endpoint follows the writer), bounded like every internal query, closed afterwards.
   */
  protected override async learnLate(): Promise<void> {
    const s = this.service;
    if (s.dialect?.topologyAware !== true || s.hosts().length > 0) return;
    const bound = this.internalQueryBoundMs();
    const conn = await s.forceConnect(s.initialHost, { timeoutMs: bound, purpose: 'probe' });
    try {
      await s.forceRefreshHostList(conn, bound);
    } finally {
      void closeQuietly(conn);
    }
  }

  /** A fresh topology through the new connection (a failure is no reason to drop a verified one). */
  protected override async afterFound(result: FailoverResult, deadline: Deadline): Promise<void> {
    try {
      const bound = deadline.cap(AFTER_FAILOVER_STEP_MS);
      await withTimeout(this.service.forceRefreshHostList(result.conn, bound), bound, 'topology refresh');
    } catch {
      // The connection was verified; the topology is refreshed later.
    }
  }
}
