/**
 * pg's private members that aurora-ha reads, in one place, each with why and the pg versions
 * it was checked against (the peer range starts at 8.15.5). Nothing else in src/ should reach
 * into a pg.Client's underscore members.
 */
import type { Client } from 'pg';

interface PgClientInternals {
  /** pg >= 8.16: the query on the wire (the public `activeQuery` getter is deprecated there). */
  _activeQuery?: object | null;
  /** pg 8.15: the same, under its old public name. */
  activeQuery?: object | null;
  /** Queries waiting behind the active one. */
  _queryQueue?: unknown[];
  queryQueue?: unknown[];
}

/**
 * The query pg is running now (its own Query object), undefined when idle. Host monitoring
 * samples it to notice a command that runs too long. Checked: pg 8.15.5 (`activeQuery`),
 * 8.16.0 and 8.23.1 (`_activeQuery`; reading `activeQuery` there prints a deprecation warning).
 */
export function activeQueryOf(client: Client): object | undefined {
  const c = client as unknown as PgClientInternals;
  const q = '_activeQuery' in c ? c._activeQuery : c.activeQuery;
  return q ?? undefined;
}

/** True while pg has a query on the wire or queued (same versions as above). */
export function pgBusy(client: Client): boolean {
  const c = client as unknown as PgClientInternals;
  const queue = c._queryQueue ?? c.queryQueue;
  return (queue?.length ?? 0) > 0 || activeQueryOf(client) !== undefined;
}
