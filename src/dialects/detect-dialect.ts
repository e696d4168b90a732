/**
 * Dialect detection: start from the engine's plain dialect and walk its `refinements`
 * (first match wins, then that dialect's own refinements). A check failing with "no such
 * function / table / variable" counts as "no"; a check failing otherwise (statement timeout,
 * killed query) leaves this connection with the best dialect found so far but caches nothing;
 * a PostgreSQL server that is not a standard one (no BackendKeyData), or a MySQL-protocol one
 * whose handshake version is not a version number (a mock), is not probed at all;
 * a connection lost during detection rejects with a network-classified error. Definite
 * results are cached per host (`host:port`) in a bounded map so detection runs once per host,
 * not per connection.
 */
import { BoundedLru } from '../core/bounded-lru.js';
import type { Engine, PhysicalConnection } from '../drivers/driver.js';
import { markConnectionLost } from '../drivers/connection-lost.js';
import { UnavailableHostError } from '../core/errors.js';
import { hostKey } from '../drivers/host-info.js';
import { handshakeServerVersionOf } from '../drivers/mysql2/internals.js';
import type { Dialect, DialectName } from './dialect.js';
import { dialectByName, plainDialect } from './dialects.js';

export interface DetectDialectOptions {
  /** Skip detection: use this dialect (user override). */
  dialect?: DialectName;
  /** Ignore and replace the cached answer for this host. */
  refresh?: boolean;
  /** Bound on each detection query; a query that times out drops the connection. Default 10 000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_DETECT_TIMEOUT_MS = 10_000;

/**
 * Errors that are a definite "no" to a detection query: the function, table, column, variable
 * or schema does not exist, or we may not read it (PG SQLSTATE classes 42 and 3F; MySQL
 * errnos below). Anything else (a timeout, a lost connection, a cancelled or killed query, a
 * server busy) is no answer at all.
 */
const DEFINITE_NO_MYSQL_ERRNOS: ReadonlySet<number> = new Set([
  1044, 1049, 1054, 1064, 1109, 1142, 1143, 1146, 1193, 1227, 1305,
]);

export function isDefiniteNo(err: unknown, engine: Engine): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (engine === 'postgres') {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && /^(42|3F)[0-9A-Z]{3}$/.test(code);
  }
  const errno = (err as { errno?: unknown }).errno;
  return typeof errno === 'number' && DEFINITE_NO_MYSQL_ERRNOS.has(errno);
}

/**
 * `conn` with every internal query bounded by `timeoutMs` unless the caller gave one; a query
 * failing without a definite "no" is reported to `onInconclusive`.
 */
function withQueryTimeout(
  conn: PhysicalConnection,
  timeoutMs: number,
  engine: Engine,
  onInconclusive: () => void,
): PhysicalConnection {
  const withColumns = conn.queryWithColumns?.bind(conn);
  const note = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      if (!isDefiniteNo(err, engine)) onInconclusive();
      throw err;
    });
  return {
    host: conn.host,
    native: conn.native,
    get closed() {
      return conn.closed;
    },
    queryRows: (sql, t) => note(conn.queryRows(sql, t ?? timeoutMs)),
    ...(withColumns !== undefined
      ? { queryWithColumns: (sql: string, t?: number) => note(withColumns(sql, t ?? timeoutMs)) }
      : {}),
    inTransaction: () => conn.inTransaction(),
    abort: () => conn.abort(),
    close: () => conn.close(),
    onError: (listener) => conn.onError(listener),
  };
}

/** Upper bound on remembered hosts; the least recently used entry is evicted first. */
export const DIALECT_CACHE_SIZE = 256;
const cache = new BoundedLru<DialectName>(DIALECT_CACHE_SIZE);
/** Detections in progress (an entry lives only while its queries run). */
const inflight = new Map<string, Promise<Dialect>>();

function remember(key: string, name: DialectName): void {
  cache.set(key, name);
}

async function safeMatch(dialect: Dialect, conn: PhysicalConnection): Promise<boolean> {
  try {
    return await dialect.matches(conn);
  } catch {
    return false;
  }
}

/**
 * A PostgreSQL server that skipped BackendKeyData at startup (every PostgreSQL and PgBouncer
 * sends it; mocks and some odd proxies do not) is not one whose catalogue can be probed: the
 * probes could only fail or, on a mock, break the session. Read from pg's Client (`processID`
 * stays null without BackendKeyData); false for anything that is not a pg Client.
 */
export function skippedBackendKeyData(conn: PhysicalConnection, engine: Engine): boolean {
  if (engine !== 'postgres') return false;
  const native = conn.native as { processID?: unknown } | null | undefined;
  return typeof native === 'object' && native !== null && 'processID' in native && native.processID === null;
}

/**
 * A MySQL-protocol server whose handshake version is not a version number (MySQL, MariaDB,
 * Aurora and RDS all send `<major>.<minor>...`; mocks built on mysql2's createServer send any
 * text) is not one whose variables can be probed either. Read from mysql2's handshake packet;
 * false when there is none (not a mysql2 connection).
 */
export function oddMysqlHandshake(conn: PhysicalConnection, engine: Engine): boolean {
  if (engine !== 'mysql') return false;
  const version = handshakeServerVersionOf(conn.native);
  return typeof version === 'string' && !/^\d+\.\d+/.test(version);
}

export async function detectDialect(
  conn: PhysicalConnection,
  engine: Engine,
  options: DetectDialectOptions = {},
): Promise<Dialect> {
  if (options.dialect !== undefined) return dialectByName(options.dialect);
  // Not a server to probe: the plain dialect for this connection only (nothing cached: ARCHITECTURE.md › Dialect detection and caching).
  if (skippedBackendKeyData(conn, engine) || oddMysqlHandshake(conn, engine)) return plainDialect(engine);
  const key = hostKey(conn.host);
  const known = options.refresh === true ? undefined : cache.get(key);
  if (known !== undefined) {
    remember(key, known); // most recently used stays longest
    return dialectByName(known);
  }
  // Connections opened together to a new host share one detection.
  const shared = options.refresh === true ? undefined : inflight.get(key);
  if (shared !== undefined) {
    try {
      return await shared;
    } catch {
      // the other connection was lost mid-detection: detect on ours
    }
  }
  const run = runDetection(conn, engine, key, options.timeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS);
  inflight.set(key, run);
  try {
    return await run;
  } finally {
    if (inflight.get(key) === run) inflight.delete(key);
  }
}

async function runDetection(
  conn: PhysicalConnection,
  engine: Engine,
  key: string,
  timeoutMs: number,
): Promise<Dialect> {
  let inconclusive = false;
  const probe = withQueryTimeout(conn, timeoutMs, engine, () => {
    inconclusive = true;
  });
  let current = plainDialect(engine);
  for (;;) {
    let next: Dialect | undefined;
    for (const name of current.refinements) {
      const candidate = dialectByName(name);
      if (await safeMatch(candidate, probe)) {
        next = candidate;
        break;
      }
    }
    if (next === undefined) break;
    current = next;
  }
  if (conn.closed) {
    // Every check after the loss answered "no": that is no answer at all.
    const err = new UnavailableHostError(key, `The connection to ${key} was lost during dialect detection.`);
    markConnectionLost(err);
    throw err;
  }
  // Only a definite answer is cached: a check that failed for another reason (timeout, killed
  // query) gives this connection the best dialect found so far, and the next connection asks again.
  if (!inconclusive) remember(key, current.name);
  return current;
}

/** The dialect an earlier connection detected for `host`, without I/O (undefined when unknown). */
export function cachedDialect(host: { host: string; port: number }): Dialect | undefined {
  const name = cache.get(hostKey(host));
  return name === undefined ? undefined : dialectByName(name);
}

/** Forget cached detections (all hosts, or one `host:port`). */
export function clearDialectCache(key?: string): void {
  if (key === undefined) cache.clear();
  else cache.delete(key);
}
