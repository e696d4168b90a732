/**
 * Builds the `pg.ClientConfig` for one instance from the user's driver config: same options,
 * host and port replaced. pg lets values parsed from `connectionString` override explicit
 * fields, so the host part of the connection string itself is rewritten (and `host` /
 * `port` query parameters removed) rather than only setting `host` / `port` beside it.
 */
import { isIP } from 'node:net';
import type { ClientConfig } from 'pg';
import type { HostInfo } from '../host-info.js';

/** `scheme://[userinfo@]hostlist[/path][?query][#hash]`; hostlist may be `h1:p1,h2:p2` or `[::1]:5432`. */
const URL_SHAPE = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/i;

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function dropHostParams(rest: string): string {
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const hash = rest.indexOf('#', q);
  const path = rest.slice(0, q);
  const query = rest.slice(q + 1, hash < 0 ? undefined : hash);
  const tail = hash < 0 ? '' : rest.slice(hash);
  const kept = query.split('&').filter((kv) => {
    const key = decodeURIComponent(kv.split('=')[0] ?? '');
    return kv !== '' && key !== 'host' && key !== 'port';
  });
  return (kept.length > 0 ? `${path}?${kept.join('&')}` : path) + tail;
}

/** Rewrite the host list of a `postgres://` URL to a single `host:port`. Unparseable strings are returned as-is. */
export function replaceConnectionStringHost(connectionString: string, host: string, port: number): string {
  const m = URL_SHAPE.exec(connectionString);
  if (m === null) return connectionString;
  const [, scheme = '', userinfo, , rest = ''] = m;
  const auth = userinfo !== undefined ? `${userinfo}@` : '';
  return `${scheme}${auth}${formatHost(host)}:${port}${dropHostParams(rest)}`;
}

/**
 * Copy the own non-enumerable string-keyed properties of `from` that `to` lacks (kept
 * non-enumerable). pg-pool and Knex hide `password` this way; a spread would drop it.
 */
export function copyHiddenProperties(from: object, to: object): void {
  for (const key of Object.getOwnPropertyNames(from)) {
    if (Object.prototype.hasOwnProperty.call(to, key)) continue;
    const d = Object.getOwnPropertyDescriptor(from, key);
    if (d === undefined || d.enumerable === true) continue;
    Object.defineProperty(to, key, {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (from as Record<string, unknown>)[key],
    });
  }
}

/** The host the user configured (`host`, else the first host of `connectionString`). */
function configuredHost(driverConfig: ClientConfig): string | undefined {
  if (typeof driverConfig.connectionString === 'string') {
    const m = URL_SHAPE.exec(driverConfig.connectionString);
    const first = m?.[3]?.split(',')[0];
    if (first !== undefined && first !== '') {
      const bracketed = /^\[([^\]]*)\]/.exec(first);
      return decodeURIComponent(bracketed ? (bracketed[1] ?? '') : (first.split(':')[0] ?? ''));
    }
  }
  return typeof driverConfig.host === 'string' ? driverConfig.host : undefined;
}

/**
 * The user's `ssl` object for `target`. An explicit `servername` names the host the user
 * configured; on any other host (an instance after failover, a reader, a probe) it would point
 * TLS's hostname check at the wrong name, so it follows the host: the host's name, or — for an
 * IP address, which SNI cannot carry — no servername, so Node checks the certificate against
 * that address and a certificate without it is refused (never accepted by a stale name).
 * pg itself sets `servername` to the host for names; this also covers addresses.
 */
export function sslForHost(
  ssl: ClientConfig['ssl'],
  userHost: string | undefined,
  target: string,
): ClientConfig['ssl'] {
  if (typeof ssl !== 'object' || ssl === null || !('servername' in ssl)) return ssl;
  if (userHost !== undefined && userHost.toLowerCase() === target.toLowerCase()) return ssl;
  const rest = { ...ssl };
  delete rest.servername;
  return isIP(target) === 0 ? { ...rest, servername: target } : rest;
}

/**
 * `tlsServerName`: when connecting to an address, the name its certificate must carry
 * (ConnectOptions.tlsServerName); pg keeps a `servername` it is given for an IP host.
 */
export function pgConfigForHost(
  driverConfig: ClientConfig,
  host: HostInfo,
  tlsServerName?: string,
): ClientConfig {
  const config: ClientConfig = { ...driverConfig, host: host.host, port: host.port };
  copyHiddenProperties(driverConfig, config);
  if (driverConfig.ssl !== undefined) {
    config.ssl = sslForHost(driverConfig.ssl, configuredHost(driverConfig), host.host);
  }
  if (tlsServerName !== undefined && config.ssl !== undefined && config.ssl !== false) {
    config.ssl = { ...(typeof config.ssl === 'object' ? config.ssl : {}), servername: tlsServerName };
  }
  if (typeof driverConfig.connectionString === 'string' && driverConfig.connectionString !== '') {
    config.connectionString = replaceConnectionStringHost(
      driverConfig.connectionString,
      host.host,
      host.port,
    );
  }
  return config;
}

/**
 * The config with new credentials (`user`, `password`; other keys merged as they are): pg lets
 * a `connectionString`'s userinfo override the fields, so its password (and user, when it names
 * one) is rewritten too. Used by the credential plugins (src/connection/credentials.ts).
 */
export function pgWithCredentials(
  driverConfig: ClientConfig,
  change: Readonly<Record<string, unknown>>,
): ClientConfig {
  const config: ClientConfig = { ...driverConfig, ...change };
  copyHiddenProperties(driverConfig, config);
  const url = driverConfig.connectionString;
  if (typeof url === 'string' && url !== '') {
    const m = URL_SHAPE.exec(url);
    if (m !== null && m[2] !== undefined) {
      const [, scheme = '', userinfo = '', hosts = '', rest = ''] = m;
      const colon = userinfo.indexOf(':');
      const oldUser = colon < 0 ? userinfo : userinfo.slice(0, colon);
      const user = typeof change.user === 'string' ? encodeURIComponent(change.user) : oldUser;
      const pass =
        typeof change.password === 'string'
          ? `:${encodeURIComponent(change.password)}`
          : colon < 0
            ? ''
            : userinfo.slice(colon);
      config.connectionString = `${scheme}${user}${pass}@${hosts}${rest}`;
    }
  }
  return config;
}
