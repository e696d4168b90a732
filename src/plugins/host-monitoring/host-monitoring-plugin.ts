/**
 * The host monitoring plugin of one logical connection: puts its physical connection on the
 * monitor of the host it is on (found by the socket's remote address, so a cluster endpoint
 * whose DNS already moved is not mistaken for the host) each time the connection changes, and
 * holds one reference on that monitor while the connection is there. It subscribes to no
 * method: the monitor samples the driver's command in flight, so a call costs nothing here
 * (host-monitor.ts). The monitor aborts the physical connection when the host stops answering;
 * the failover plugin, outside this one in the pipeline, turns that into its documented outcome.
 */
import type { PipelineMethod, Plugin, PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey } from '../../drivers/host-info.js';
import type { CallOwner, HostMonitor } from './host-monitor.js';
import { acquireMonitor, releaseMonitor } from './monitor-registry.js';
import { monitorSettingsOf } from './monitor-settings.js';

export class HostMonitoringPlugin implements Plugin, CallOwner {
  readonly code = 'hostMonitoring';
  /** No method: nothing per call (the monitor samples; see the module comment). */
  readonly subscribes: readonly PipelineMethod[] = [];
  private readonly enabled: boolean;
  /** The physical connection whose host's monitor this connection holds. */
  private watchedConn: PhysicalConnection | undefined;
  private monitor: HostMonitor | undefined;
  private released = false;

  constructor(private readonly service: PluginService) {
    this.enabled = service.config.options.failureDetectionEnabled ?? true;
  }

  notifyConnectionChanged(): void {
    // Stop watching the old connection (and holding its host's monitor); watch the new one.
    this.drop();
    const conn = this.service.current;
    if (this.enabled && !this.released && conn !== undefined) this.watch(conn);
  }

  hostDeclaredUnavailable(conn: PhysicalConnection): void {
    // Shared topology marks are by host name; an instance name is marked, a cluster endpoint is
    // not in the topology (failover marks the instance it knows behind it).
    this.service.setAvailability([hostKey(conn.host)], 'unavailable');
  }

  release(): Promise<void> {
    this.released = true;
    this.drop();
    return Promise.resolve();
  }

  private watch(conn: PhysicalConnection): void {
    const remote = conn.remoteAddress?.();
    const monitor = acquireMonitor({
      driver: this.service.driver,
      driverConfig: this.service.config.driverConfig,
      address: remote?.address ?? conn.host.host,
      port: remote?.port ?? conn.host.port,
      // Under TLS the probe's certificate check needs the name, not the address.
      serverName: conn.host.host,
      // Read when a connection is watched, not kept per connection (heap per idle connection
      // matters): the host's monitor keeps the settings it was created with.
      settings: monitorSettingsOf(this.service.config.options),
    });
    monitor.watch(conn, this);
    this.watchedConn = conn;
    this.monitor = monitor;
  }

  private drop(): void {
    const monitor = this.monitor;
    const conn = this.watchedConn;
    this.monitor = undefined;
    this.watchedConn = undefined;
    if (monitor === undefined) return;
    if (conn !== undefined) monitor.unwatch(conn);
    void releaseMonitor(monitor);
  }
}
