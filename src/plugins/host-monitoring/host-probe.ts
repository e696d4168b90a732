/**
 * One probe of a host: "does it answer at all?", on the monitor's own physical connection
 * (opened on demand, kept while probing continues), bounded in time. Any answer from the
 * server — a row, or an SQL / login / TLS error — means it is alive; only a network failure
 * or the time bound counts as a failed probe.
 */
import type { DriverAdapter, PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../hosts/host-info.js';

const PROBE_SQL = 'SELECT 1';

export class HostProbe {
  private conn: PhysicalConnection | undefined;
  private opening: AbortController | undefined;
  private closed = false;

  constructor(
    private readonly driver: DriverAdapter,
    private readonly driverConfig: unknown,
    readonly host: HostInfo,
  ) {}

  /** True when the host answered within `boundMs`. Never rejects. */
  async probe(boundMs: number): Promise<boolean> {
    this.closed = false;
    const started = performance.now();
    try {
      let conn = this.conn;
      if (conn === undefined || conn.closed) {
        this.conn = undefined;
        const ctl = new AbortController();
        this.opening = ctl;
        try {
          conn = await this.driver.connect(this.host, this.driverConfig, {
            timeoutMs: boundMs,
            signal: ctl.signal,
          });
        } finally {
          if (this.opening === ctl) this.opening = undefined;
        }
        if (ctl.signal.aborted) {
          conn.abort();
          return false;
        }
        this.conn = conn;
      }
      const left = Math.floor(boundMs - (performance.now() - started));
      if (left <= 0) {
        // Connected, but too late for this probe: keep the connection for the next one.
        return false;
      }
      await conn.queryRows(PROBE_SQL, left);
      return true;
    } catch (err) {
      if (this.closed) return false;
      // The server answered with an error (authentication, TLS, SQL): it is alive.
      return this.driver.classify(err, this.conn) !== 'network';
    }
  }

  /**
   * Close the probe connection (gracefully, bounded) and cancel a connect under way. The
   * probe stays usable: the next probe() opens a new connection.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.opening?.abort();
    this.opening = undefined;
    const conn = this.conn;
    this.conn = undefined;
    if (conn !== undefined) await conn.close();
  }

  /** Whether the probe holds an open connection (for tests and stats). */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }
}
