/**
 * The host monitoring plugin of one logical connection: registers every network-bound call
 * with the monitor of the host its physical connection is on (found by the socket's remote
 * address, so a cluster endpoint whose DNS already moved is not mistaken for the host), and
 * holds one reference on that monitor while the connection is there. The monitor aborts the
 * physical connection when the host stops answering; the failover plugin, outside this one
 * in the pipeline, turns that into its documented outcome.
 */
import {
  NETWORK_METHODS,
  type ExecuteNext,
  type NetworkMethod,
  type Plugin,
  type PluginService,
} from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey } from '../../drivers/host-info.js';
import type { CallOwner, HostMonitor } from './host-monitor.js';
import { acquireMonitor, releaseMonitor } from './monitor-registry.js';
import { monitorSettingsOf, type MonitorSettings } from './monitor-settings.js';

export class HostMonitoringPlugin implements Plugin, CallOwner {
  readonly code = 'hostMonitoring';
  readonly subscribes = NETWORK_METHODS;
  private readonly enabled: boolean;
  private readonly settings: MonitorSettings;
  /** The physical connection whose host's monitor this connection holds. */
  private watchedConn: PhysicalConnection | undefined;
  private monitor: HostMonitor | undefined;
  private released = false;

  constructor(private readonly service: PluginService) {
    this.enabled = service.config.options.failureDetectionEnabled ?? true;
    this.settings = monitorSettingsOf(service.config.options);
  }

  /** Hot path: `next` is called synchronously; one record per call, no I/O. */
  execute<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T> {
    const conn = this.service.current;
    if (!this.enabled || conn === undefined || this.released) return next(method, run);
    const monitor = this.monitorOf(conn);
    const call = monitor.enter(conn, this);
    let pending: Promise<T>;
    try {
      pending = next(method, run);
    } catch (err) {
      monitor.leave(call);
      return Promise.reject(err);
    }
    // then(ok, fail) rather than finally(): the same pass-through without finally's two
    // extra promises per call.
    return pending.then(
      (value) => {
        monitor.leave(call);
        return value;
      },
      (err: unknown) => {
        monitor.leave(call);
        throw err;
      },
    );
  }

  notifyConnectionChanged(): void {
    // The next call acquires the new host's monitor; stop holding the old one now.
    this.drop();
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

  private monitorOf(conn: PhysicalConnection): HostMonitor {
    if (this.watchedConn === conn && this.monitor !== undefined) return this.monitor;
    this.drop();
    const remote = conn.remoteAddress?.();
    const monitor = acquireMonitor({
      driver: this.service.driver,
      driverConfig: this.service.config.driverConfig,
      address: remote?.address ?? conn.host.host,
      port: remote?.port ?? conn.host.port,
      // Under TLS the probe's certificate check needs the name, not the address.
      serverName: conn.host.host,
      settings: this.settings,
    });
    this.watchedConn = conn;
    this.monitor = monitor;
    return monitor;
  }

  private drop(): void {
    const monitor = this.monitor;
    this.monitor = undefined;
    this.watchedConn = undefined;
    if (monitor !== undefined) void releaseMonitor(monitor);
  }
}
