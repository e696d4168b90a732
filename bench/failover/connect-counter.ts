/**
 * Counts client socket connect() calls (refused ones included) to one port, with their time:
 * how many connection attempts the clients make during a failover. Wraps
 * `net.Socket.prototype.connect` for this process; the emulator's own proxy and control-plane
 * sockets go to internal ports and are not counted.
 */
import net from 'node:net';

type ConnectArgs = unknown[];

function portOf(args: ConnectArgs): number | undefined {
  let first = args[0];
  // net.connect() hands Socket#connect its normalized [options, cb] array.
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'number') return first;
  if (typeof first === 'string' && /^\d+$/.test(first)) return Number(first);
  if (typeof first === 'object' && first !== null) {
    const p = (first as { port?: unknown }).port;
    return typeof p === 'number' ? p : typeof p === 'string' ? Number(p) : undefined;
  }
  return undefined;
}

function hostOf(args: ConnectArgs): string {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'object' && first !== null) {
    const h = (first as { host?: unknown }).host;
    if (typeof h === 'string') return h;
  }
  return typeof args[1] === 'string' ? args[1] : '';
}

export class ConnectCounter {
  private readonly times: number[] = [];
  /** The host of each connect, same index as `times` (as given: a name or an address). */
  private readonly hosts: string[] = [];
  private readonly original = net.Socket.prototype.connect;

  /**
   * @param ignoreHosts addresses whose connects are not the clients' (the emulator's engines
   *   listen on the same port as their fault proxies, so the proxies' upstream sockets would
   *   otherwise count as a second connect per client connection)
   */
  constructor(
    private readonly port: number,
    ignoreHosts: ReadonlySet<string> = new Set(),
  ) {
    const times = this.times;
    const hosts = this.hosts;
    const original = this.original;
    const wrapped = function (this: net.Socket, ...args: ConnectArgs): net.Socket {
      if (portOf(args) === port) {
        const host = hostOf(args);
        if (!ignoreHosts.has(host)) {
          times.push(Date.now());
          hosts.push(host);
        }
      }
      return (original as (...a: ConnectArgs) => net.Socket).apply(this, args);
    };
    net.Socket.prototype.connect = wrapped;
  }

  /** connect() calls to the port in [from, to]. */
  between(from: number, to: number): number {
    return this.times.filter((t) => t >= from && t <= to).length;
  }

  /** Times (ms since the epoch) of the connect() calls to `host` in [from, to]. */
  timesTo(host: string, from: number, to: number): number[] {
    return this.times.filter((t, i) => this.hosts[i] === host && t >= from && t <= to);
  }

  /** Times of every connect() call counted in [from, to]. */
  timesBetween(from: number, to: number): number[] {
    return this.times.filter((t) => t >= from && t <= to);
  }

  stop(): void {
    net.Socket.prototype.connect = this.original;
  }
}
