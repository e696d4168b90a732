/**
 * One probe of a host: "does it answer at all?", on the monitor's own physical connection
 * (opened on demand, kept while probing continues), bounded in time. Any answer from the
 * server — a row, or an SQL / login / TLS error — means it is alive; only a network failure
 * or the time bound counts as a failed probe.
 *
 * The probe connects to an address (the one behind the monitored connection) but checks the
 * server's certificate against the host name the monitored connection used (`serverName`,
 * ConnectOptions.tlsServerName). A refused certificate still means "alive" (the server
 * answered the handshake), but it is counted and reported once per probe with a process
 * warning; the probe never retries without verification.
 */
import { isIP } from 'node:net';
import { errorCode, isCertificateError, originalErrorCode } from '../../drivers/connection-lost.js';
import type { DriverAdapter, PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';

const PROBE_SQL = 'SELECT 1';

export class HostProbe {
  private conn: PhysicalConnection | undefined;
  private opening: AbortController | undefined;
  private closed = false;
  /** Probes whose connect was refused for the server's certificate (each still counted alive). */
  certificateErrors = 0;
  /** The name the certificate is checked against; undefined when the host is already a name. */
  private readonly serverName: string | undefined;

  /**
   * @param serverName the host name of the monitored connection (its certificate names it);
   *   used only when `host` is an address.
   */
  constructor(
    private readonly driver: DriverAdapter,
    private readonly driverConfig: unknown,
    readonly host: HostInfo,
    serverName?: string,
  ) {
    const named = serverName !== undefined && serverName !== '' && isIP(serverName) === 0;
    this.serverName = named && isIP(host.host) !== 0 ? serverName : undefined;
  }

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
            purpose: 'probe',
            ...(this.serverName !== undefined ? { tlsServerName: this.serverName } : {}),
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
      if (isCertificateError(err)) this.certificateRefused(err);
      // The server answered with an error (authentication, TLS, SQL): it is alive.
      return this.driver.classify(err, this.conn) !== 'network';
    }
  }

  /** Counted every time, reported once per probe: the host is up but its certificate is refused. */
  private certificateRefused(err: unknown): void {
    this.certificateErrors++;
    if (this.certificateErrors > 1) return;
    const code = originalErrorCode(err) ?? errorCode(err) ?? 'unknown';
    const name = this.serverName ?? this.host.host;
    process.emitWarning(
      `host monitoring probe of ${this.host.host}:${this.host.port} (certificate checked for ${name}) ` +
        `refused the server's certificate (${code}); the host counts as answering, the probe keeps verifying`,
      { code: 'AURORA_HA_PROBE_CERTIFICATE' },
    );
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
