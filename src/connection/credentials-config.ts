/**
 * What the credential plugins read from the user's driver config, for both drivers: the
 * database user (the `user` field, else the connection string's user) and whether TLS is on
 * (pg `ssl` / `sslmode`; mysql2 `ssl`, in the object or the connection string).
 */
import type { Engine } from '../drivers/driver.js';

/** Where each driver keeps its connection string in a config object. */
const URL_KEY: Readonly<Record<Engine, string>> = { postgres: 'connectionString', mysql: 'uri' };

/** The TLS option of each driver, as named in errors. */
export const TLS_OPTION: Readonly<Record<Engine, string>> = { postgres: 'ssl', mysql: 'ssl' };

function record(config: unknown): Record<string, unknown> {
  return config !== null && typeof config === 'object' ? (config as Record<string, unknown>) : {};
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function urlOf(engine: Engine, config: unknown): string | undefined {
  const url = record(config)[URL_KEY[engine]];
  return typeof url === 'string' && url !== '' ? url : undefined;
}

/** The user of the connection string's userinfo (`scheme://user[:pass]@…`), if any. */
function urlUser(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(url);
  const userinfo = m?.[1];
  if (userinfo === undefined) return undefined;
  const colon = userinfo.indexOf(':');
  const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  return user === '' ? undefined : user;
}

/** A query parameter of a connection string (first occurrence), decoded. */
function urlParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const hash = url.indexOf('#', q);
  for (const kv of url.slice(q + 1, hash < 0 ? undefined : hash).split('&')) {
    const eq = kv.indexOf('=');
    if (decode(eq < 0 ? kv : kv.slice(0, eq)) === name) return decode(eq < 0 ? '' : kv.slice(eq + 1));
  }
  return undefined;
}

/** The database user the driver will log in as: the connection string's wins, as in both drivers. */
export function configuredUser(engine: Engine, config: unknown): string | undefined {
  const url = urlOf(engine, config);
  const fromUrl = url === undefined ? undefined : urlUser(url);
  if (fromUrl !== undefined) return fromUrl;
  const user = record(config).user;
  return typeof user === 'string' && user !== '' ? user : undefined;
}

/** Whether the driver config asks for TLS (what IAM authentication requires). */
export function tlsConfigured(engine: Engine, config: unknown): boolean {
  const ssl = record(config).ssl;
  if (ssl !== undefined && ssl !== null && ssl !== false && ssl !== '' && ssl !== 'false') return true;
  const url = urlOf(engine, config);
  if (url === undefined) return false;
  if (engine === 'postgres') {
    const mode = urlParam(url, 'sslmode');
    if (mode !== undefined) return mode !== 'disable' && mode !== 'allow' && mode !== 'prefer';
    const flag = urlParam(url, 'ssl');
    return flag !== undefined && flag !== 'false' && flag !== '0';
  }
  const flag = urlParam(url, 'ssl');
  return flag !== undefined && flag !== '' && flag !== 'false' && flag !== '0';
}
