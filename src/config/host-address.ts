/**
 * `host[:port]` parsing for the `hosts` option and driver hosts: names, IPv4, and IPv6 in
 * brackets (`[::1]:5432`) or bare (`::1`, no port). Returned hosts carry no brackets.
 */

import { isIP } from 'node:net';

export interface HostAddress {
  host: string;
  port: number;
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Parses `text`; returns an error reason instead of throwing so callers can name their option. */
export function parseHostAddress(text: string, defaultPort: number): HostAddress | string {
  const t = text.trim();
  if (t.length === 0) return 'empty host';
  let host: string;
  let portText: string | undefined;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) return 'unclosed "[" in IPv6 address';
    host = t.slice(1, close);
    const rest = t.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) return `unexpected "${rest}" after IPv6 address`;
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) return `"${host}" is not an IPv6 address`;
  } else if (t.split(':').length > 2) {
    if (isIP(t) !== 6) return `"${t}" is not an IPv6 address (write IPv6 with a port as [addr]:port)`;
    host = t;
  } else {
    const colon = t.indexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    portText = colon < 0 ? undefined : t.slice(colon + 1);
    if (host.length === 0) return 'empty host';
    if (/[\s/@?#]/.test(host)) return `"${host}" is not a host name`;
  }
  if (portText === undefined) return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(portText) || !isValidPort(Number(portText))) {
    return `port "${portText}" is not a number between 1 and 65535`;
  }
  return { host, port: Number(portText) };
}
