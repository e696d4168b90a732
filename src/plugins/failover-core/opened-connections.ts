/**
 * The physical connections one failover task opened. A task that loses the race, times out
 * or is aborted closes every one of them, so no connection opened during failover leaks.
 * Every connect goes through the per-host gate (host-connect-gate.ts).
 */
import type { ConnectOptions, PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import type { PluginService } from '../../connection/plugin.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { throughGate } from './host-connect-gate.js';

const NEVER = new AbortController().signal;

export class OpenedConnections {
  private readonly open = new Set<PhysicalConnection>();
  private sealed = false;

  constructor(private readonly service: PluginService) {}

  /** Open a connection directly with the driver and remember it until released or kept. */
  async connect(host: HostInfo, options: ConnectOptions): Promise<PhysicalConnection> {
    // Through the per-host gate: a host that refuses gets one attempt at a time, with backoff.
    const conn = await throughGate(host, options.signal ?? NEVER, () =>
      this.service.forceConnect(host, options),
    );
    if (this.sealed) {
      // The task was already closed down while the handshake finished: never hand it out.
      conn.abort();
      throw new Error(`connection to ${host.host}:${host.port} opened after its failover task ended`);
    }
    this.open.add(conn);
    return conn;
  }

  /** The caller takes ownership of `conn` (it becomes the logical connection's physical one). */
  keep(conn: PhysicalConnection): void {
    this.open.delete(conn);
  }

  /** Close one connection this task no longer needs. */
  async discard(conn: PhysicalConnection): Promise<void> {
    this.open.delete(conn);
    await closeQuietly(conn);
  }

  /** Close everything still held; connections opened later are aborted on arrival. */
  async closeAll(): Promise<void> {
    this.sealed = true;
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((c) => closeQuietly(c)));
  }

  get size(): number {
    return this.open.size;
  }
}
