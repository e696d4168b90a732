/**
 * Dialect detection: start from the engine's plain dialect and walk its `refinements`
 * (first match wins, then that dialect's own refinements). A failing check counts as "no".
 * Results are cached per host (`host:port`) in a bounded map so detection runs once per
 * host, not per connection.
 */
import type { Engine, PhysicalConnection } from '../drivers/driver.js';
import { hostKey } from '../hosts/host-info.js';
import type { Dialect, DialectName } from './dialect.js';
import { dialectByName, plainDialect } from './dialects.js';

export interface DetectDialectOptions {
  /** Skip detection: use this dialect (user override). */
  dialect?: DialectName;
  /** Ignore and replace the cached answer for this host. */
  refresh?: boolean;
}

/** Upper bound on remembered hosts; the oldest entry is evicted first. */
export const DIALECT_CACHE_SIZE = 256;
const cache = new Map<string, DialectName>();

function remember(key: string, name: DialectName): void {
  cache.delete(key);
  cache.set(key, name);
  while (cache.size > DIALECT_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
}

async function safeMatch(dialect: Dialect, conn: PhysicalConnection): Promise<boolean> {
  try {
    return await dialect.matches(conn);
  } catch {
    return false;
  }
}

export async function detectDialect(
  conn: PhysicalConnection,
  engine: Engine,
  options: DetectDialectOptions = {},
): Promise<Dialect> {
  if (options.dialect !== undefined) return dialectByName(options.dialect);
  const key = hostKey(conn.host);
  const known = options.refresh === true ? undefined : cache.get(key);
  if (known !== undefined) return dialectByName(known);
  let current = plainDialect(engine);
  for (;;) {
    let next: Dialect | undefined;
    for (const name of current.refinements) {
      const candidate = dialectByName(name);
      if (await safeMatch(candidate, conn)) {
        next = candidate;
        break;
      }
    }
    if (next === undefined) break;
    current = next;
  }
  // A closed connection answers "no" to everything: do not remember that guess.
  if (!conn.closed) remember(key, current.name);
  return current;
}

/** Forget cached detections (all hosts, or one `host:port`). */
export function clearDialectCache(key?: string): void {
  if (key === undefined) cache.clear();
  else cache.delete(key);
}
