/**
 * Counts client sockets' `connect()` calls (refused ones included; a socket once) made by this process to
 * one port — the emulated cluster's, which every instance and endpoint shares — so the
 * emulator's own proxy-to-engine connections (other ports) are not counted. Each call's
 * time is kept, so a run can count those made after the fault.
 */
import { Socket } from 'node:net';

type ConnectFn = (this: Socket, ...args: unknown[]) => Socket;

/** Port and host of a `Socket#connect` call, in any of its forms (options, port/host, normalized array). */
function targetOf(args: readonly unknown[]): { port: number | undefined; host: string } {
  let first = args[0];
  let host = typeof args[1] === 'string' ? args[1] : '';
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'number') return { port: first, host };
  if (typeof first === 'string' && /^\d+$/.test(first)) return { port: Number(first), host };
  if (typeof first === 'object' && first !== null && 'port' in first) {
    const o = first as { port?: unknown; host?: unknown };
    if (typeof o.host === 'string') host = o.host;
    const port =
      typeof o.port === 'number' ? o.port : typeof o.port === 'string' ? Number(o.port) : undefined;
    return { port, host };
  }
  return { port: undefined, host };
}

export interface ConnectCounter {
  /** Calls made at or after `from` (ms since epoch), up to `to` when given. */
  countBetween(from: number, to?: number): number;
  /** The same calls by target host name. */
  byHostBetween(from: number, to?: number): Record<string, number>;
  stop(): void;
}

/**
 * @param port the cluster's port
 * @param ignoreHosts addresses not to count (the engines behind the emulator's fault proxies,
 *   which listen on the same port: the proxies' own upstream connections)
 */
export function countConnects(port: number, ignoreHosts: ReadonlySet<string> = new Set()): ConnectCounter {
  const calls: { at: number; host: string }[] = [];
  // Node may call connect() again on the same socket (with the address once resolved): count sockets.
  const counted = new WeakSet<Socket>();
  const original = Socket.prototype.connect as unknown as ConnectFn;
  const counting: ConnectFn = function (this: Socket, ...args: unknown[]): Socket {
    const target = targetOf(args);
    if (target.port === port && !ignoreHosts.has(target.host) && !counted.has(this)) {
      counted.add(this);
      calls.push({ at: Date.now(), host: target.host });
    }
    return original.apply(this, args);
  };
  (Socket.prototype as unknown as { connect: ConnectFn }).connect = counting;
  return {
    countBetween: (from, to = Number.POSITIVE_INFINITY) =>
      calls.filter((c) => c.at >= from && c.at <= to).length,
    byHostBetween(from, to = Number.POSITIVE_INFINITY) {
      const out: Record<string, number> = {};
      for (const c of calls) if (c.at >= from && c.at <= to) out[c.host] = (out[c.host] ?? 0) + 1;
      return out;
    },
    stop() {
      if ((Socket.prototype as unknown as { connect: ConnectFn }).connect === counting)
        (Socket.prototype as unknown as { connect: ConnectFn }).connect = original;
    },
  };
}
