/**
 * Builds the `pg.ClientConfig` for one instance from the user's driver config: same options,
 * host and port replaced. pg lets values parsed from `connectionString` override explicit
 * fields, so the host part of the connection string itself is rewritten (and `host` /
 * `port` query parameters removed) rather than only setting `host` / `port` beside it.
 */
import type { ClientConfig } from 'pg';
import type { HostInfo } from '../../hosts/host-info.js';

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

export function pgConfigForHost(driverConfig: ClientConfig, host: HostInfo): ClientConfig {
  const config: ClientConfig = { ...driverConfig, host: host.host, port: host.port };
  copyHiddenProperties(driverConfig, config);
  if (typeof driverConfig.connectionString === 'string' && driverConfig.connectionString !== '') {
    config.connectionString = replaceConnectionStringHost(
      driverConfig.connectionString,
      host.host,
      host.port,
    );
  }
  return config;
}
