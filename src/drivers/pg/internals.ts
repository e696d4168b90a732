/**
 * pg's and pg-pool's private members that aurora-ha reads, writes or calls, in one place, each
 * with why and the versions it was checked against (peer range pg ^8.15.5 with its pg-pool
 * ^3.9.5; lockfile pg 8.23.1 / pg-pool 3.14.0). Nothing else in src/ reaches into an
 * underscore member of pg or pg-pool (eslint.config.js › driver internals fails on one); no pg
 * file is on that rule's list of exceptions. What the rule does allow, on purpose:
 * - facades/pg/pool.ts *overrides* pg-pool's `_release` and `_acquireClient` (method
 *   definitions); it calls pg-pool's own, and `_remove` / `_pulseQueue`, through the functions below;
 * - facades/pg/client.ts *defines* `_ending` and `_queryable` (what pg-pool reads on any client)
 *   and our own pool hooks `_checkedOut` / `_lostWhileIdle` (no pg member: facades/pg/pool.ts
 *   calls them, allowed by name in the rule).
 */
import pg from 'pg';
import type { Client } from 'pg';

interface PgClientInternals {
  /** pg >= 8.16: the query on the wire (the public `activeQuery` getter is deprecated there). */
  _activeQuery?: object | null;
  /** pg 8.15: the same, under its old public name. */
  activeQuery?: object | null;
  /** Queries waiting behind the active one. */
  _queryQueue?: unknown[];
  queryQueue?: unknown[];
  /** False once the client's connection failed or ended (pg's own guard before each query). */
  _queryable?: boolean;
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

/**
 * False when pg marked the client unusable (`_queryable`: its socket failed or ended). Why: our
 * Client answers pg-pool's `_queryable` from the native client's. Checked: pg 8.15.5, 8.23.1.
 */
export function pgQueryable(client: Client): boolean {
  return (client as unknown as PgClientInternals)._queryable !== false;
}

/**
 * True once pg's Connection (`client.connection`) started connecting (`_connecting`, set by its
 * connect()). Why: the pre-connect Connection is handed to the first session only while unused.
 * Checked: pg 8.15.5, 8.23.1 (lib/connection.js).
 */
export function pgConnectionStarted(connection: object): boolean {
  return (connection as { _connecting?: boolean })._connecting === true;
}

/** pg's Client handlers of a Connection message that `_attachListeners` binds at connect(). */
export type PgMessageHandler = '_handleReadyForQuery' | '_handleCommandComplete';

/**
 * Make `step(msg)` run first inside pg's own handler of a Connection message, instead of as a
 * second listener on that event: pg's Client subscribes its handler once, at connect(), as
 * `this.<handler>.bind(this)` (`_attachListeners`), so an own property of the instance set before
 * connect() is what it binds. Why: with two listeners Node's emitter copies the listener array on
 * every emit, and pg emits `readyForQuery` and `commandComplete` once per query; our step still
 * runs before pg's handler, as the listener registered before connect() did. Returns false (the
 * caller then listens on the Connection) when the client already started connecting or has no
 * such handler. Checked: pg 8.15.5, 8.23.1 (lib/client.js `_attachListeners`, both handlers take
 * the message as their only argument).
 */
export function runBeforePgHandler(
  client: Client,
  handler: PgMessageHandler,
  step: (msg: never) => void,
): boolean {
  const own = client as unknown as Record<PgMessageHandler, unknown>;
  const original = own[handler];
  if (typeof original !== 'function' || pgConnectionStarted(client.connection)) return false;
  const pgHandler = original as (this: Client, msg: unknown) => void;
  Object.defineProperty(client, handler, {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function handledAfterStep(this: Client, msg: never): void {
      step(msg);
      pgHandler.call(this, msg);
    },
  });
  return true;
}

/**
 * pg's module-level `_pools` array. Why: `aurora-ha/pg` has pg's module shape, which lists it.
 * Checked: pg 8.15.5, 8.23.1 (lib/index.js).
 */
export function pgModulePools(pgModule: object): unknown[] {
  return (pgModule as { _pools: unknown[] })._pools;
}

/** pg-pool's members our Pool subclass overrides or calls (not in @types/pg). */
export interface PgPoolInternals {
  _release(client: unknown, idleListener: unknown, err?: unknown): void;
  _acquireClient(client: unknown, pendingItem: unknown, idleListener: unknown, isNew: boolean): void;
  _remove(client: unknown): void;
  _pulseQueue(): void;
}

/** pg's Pool.prototype (pg-pool's methods), read at each call as `super.` would be. */
function pgPoolOwn(): PgPoolInternals {
  return pg.Pool.prototype as unknown as PgPoolInternals;
}

/**
 * pg-pool's own `_release(client, idleListener, err)` on `pool` (what `super._release` is in a
 * subclass of pg.Pool). Why: our Pool overrides it so that a failover outcome does not discard a
 * client. Checked: pg-pool 3.9.5, 3.14.0.
 */
export function pgPoolRelease(pool: object, client: unknown, idleListener: unknown, err?: unknown): void {
  pgPoolOwn()._release.call(pool, client, idleListener, err);
}

/**
 * pg-pool's own `_acquireClient(client, pendingItem, idleListener, isNew)` on `pool`. Why: our
 * Pool overrides it to move a client lost while idle before handing it out. Checked: pg-pool
 * 3.9.5, 3.14.0.
 */
export function pgPoolAcquireClient(
  pool: object,
  client: unknown,
  pendingItem: unknown,
  idleListener: unknown,
  isNew: boolean,
): void {
  pgPoolOwn()._acquireClient.call(pool, client, pendingItem, idleListener, isNew);
}

/**
 * pg-pool's `_remove(client)`: out of its lists, and ended. Why: a client whose move failed at
 * checkout leaves the pool as one that cannot connect does. Checked: pg-pool 3.9.5, 3.14.0.
 */
export function pgPoolRemove(pool: object, client: unknown): void {
  (pool as PgPoolInternals)._remove(client);
}

/** pg-pool's `_pulseQueue()`: serve the next waiter (same versions as above). */
export function pgPoolPulse(pool: object): void {
  (pool as PgPoolInternals)._pulseQueue();
}
