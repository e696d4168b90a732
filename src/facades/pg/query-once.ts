/**
 * A pg query through the plugin pipeline, settled by one promise: pg's own promise form adds a
 * `.catch` link (one more promise, reaction and microtask per query) only to capture the error's
 * stack again, which the facade's tracking frame (client.ts `#trackWithCallerStack`) does for
 * its callers anyway. A query config carrying its own `callback` keeps pg's promise form, where
 * that callback wins (pg then returns no promise) — exactly as before.
 */
import type pg from 'pg';
import type { QueryConfig, QueryResult } from 'pg';

export function queryOnce(native: pg.Client, config: unknown, values: unknown): Promise<QueryResult> {
  if (typeof config !== 'string' && (config as { callback?: unknown }).callback !== undefined) {
    return native.query(config as QueryConfig, values as unknown[]);
  }
  return new Promise<QueryResult>((resolve, reject) => {
    (native.query as (c: unknown, v: unknown, cb: (err: Error | null, r: QueryResult) => void) => void)(
      config,
      values,
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}
