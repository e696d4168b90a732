/**
 * The failover v2 plugin (ARCHITECTURE.md › Failover v2: the topology monitor): the same triggers, modes and outcomes as v1
 * (failover-core/failover-plugin-base.ts), but the new writer is found by the cluster's
 * shared topology monitor (topology/topology-monitor.ts) instead of by each connection: a failing
 * connection reports its writer, suspends until the monitor verifies one, then reconnects to
 * it (writer-reconnect.ts). Reader modes pick a reader with v1's reader failover. A failure
 * that finds no topology known asks the monitor to read it first (learnLate).
 */
import { FailoverFailedError } from '../../core/errors.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../drivers/host-info.js';
import type { TopologyMonitor } from '../../topology/topology-monitor.js';
import { releaseMonitor } from '../../topology/topology-monitors.js';
import type { FailoverContext, FailoverResult } from '../failover-core/failover-context.js';
import { withTimeout } from '../../core/time.js';
import { readerFailover } from '../failover-core/reader-failover.js';
import { FailoverPluginBase } from '../failover-core/failover-plugin-base.js';
import { acquireClusterMonitor, monitorable } from './monitor-link.js';
import { reconnectToVerifiedWriter } from './writer-reconnect.js';

/** Bound on the instance-id query of a connection to a cluster endpoint. */
const INSTANCE_ID_TIMEOUT_MS = 2000;

export class Failover2Plugin extends FailoverPluginBase {
  readonly code = 'failover2';
  protected readonly writerWord = 'verified writer';
  private monitor: TopologyMonitor | undefined;
  /** A failure found no topology known and asked the monitor for one (learnLate). */
  private learntLate = false;

  protected topologyKnown(): boolean {
    const monitor = this.monitor;
    if (monitor === undefined) return false;
    if (monitor.hosts().length > 0 || this.service.hosts().length > 0) return true;
    // No topology read ever concluded, not even the one asked for on this failure: the monitor
    // still finds the writer by probing the hosts it started from (the connection's own host),
    // each instance verifying by itself that it is the writer. Readers need a topology.
    return this.learntLate && this.mode === 'strict-writer';
  }

  /**
   * A failure found the topology unknown (the connect-time read did not conclude, and neither
   * did the monitor's own): ask the monitor to read it now (bounded by the caller, once per
   * failure), as v1 reads it late through a short connection.
   */
  protected override async learnLate(): Promise<void> {
    const monitor = this.monitor;
    if (monitor === undefined) return;
    this.learntLate = true;
    await monitor.refreshNow();
  }

  protected clusterHosts(): readonly HostInfo[] {
    const fromMonitor = this.monitor?.hosts() ?? [];
    return fromMonitor.length > 0 ? fromMonitor : this.service.hosts();
  }

  /** Nothing is connected: an earlier connection of this cluster must have started the monitor. */
  protected override beforeConnectFailover(): void {
    this.attachMonitor();
  }

  /** A failed initial connect counts as the writer failing (the monitor verifies it). */
  protected override connectFailoverOrigin(): HostInfo | undefined {
    return undefined;
  }

  /**
   * The connect hook does not run when another plugin opened the connection itself
   * (initialConnection, for a cluster endpoint): join the cluster's monitor once connected;
   * without a monitor the connection could never fail over.
   */
  override notifyConnectionChanged(host: HostInfo): void {
    super.notifyConnectionChanged(host);
    this.attachMonitor();
  }

  protected override releaseSource(): void {
    const m = this.monitor;
    this.monitor = undefined;
    if (m !== undefined) releaseMonitor(m);
  }

  /** Join the cluster's monitor once the dialect is known (no-op when failover cannot apply). */
  private attachMonitor(): TopologyMonitor | undefined {
    const s = this.service;
    if (this.monitor !== undefined || this.isReleased) return this.monitor;
    if (!s.config.options.enableFailover || !monitorable(s.dialect)) return undefined;
    this.monitor = acquireClusterMonitor(s, s.dialect);
    if (s.dialect.topologyAware) this.monitor.shareWith(s.hostListProvider.clusterId);
    return this.monitor;
  }

  /**
   * The monitor needs a topology before anything fails: the first connection of a cluster
   * reads it once through its new connection; later ones find it known. A connection to a
   * cluster endpoint asks which instance it is on.
   */
  protected async learnTopology(conn: PhysicalConnection): Promise<HostInfo | undefined> {
    const monitor = this.attachMonitor();
    const dialect = this.service.dialect;
    if (monitor === undefined || dialect === undefined) return undefined;
    await monitor.seed(conn);
    const key = hostKey(conn.host);
    const instance = monitor.hosts().find((h) => hostKey(h) === key);
    if (instance !== undefined || !dialect.topologyAware) return instance;
    const id = await withTimeout(dialect.instanceId(conn), INSTANCE_ID_TIMEOUT_MS, 'instance id');
    return monitor.hosts().find((h) => h.instanceId !== undefined && h.instanceId === id);
  }

  /** Writer: through the monitor. Readers: v1's reader failover over the topology. */
  protected async search(ctx: FailoverContext): Promise<FailoverResult> {
    const monitor = this.monitor;
    if (monitor === undefined) throw new FailoverFailedError('the cluster topology is unknown');
    if (this.mode === 'strict-writer') return reconnectToVerifiedWriter(ctx, monitor);
    if (ctx.failedHost?.role === 'writer') monitor.reportFailure(ctx.failedHost);
    return readerFailover(ctx);
  }
}
