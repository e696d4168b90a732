/**
 * `Pool` of `aurora-ha/pg`: pg's own Pool (pg-pool, so `instanceof pg.Pool` holds and its API,
 * options and events are pg's) whose clients are aurora-ha Clients. Differences, all from
 * ARCHITECTURE.md › Pools: a client released with our FailoverSuccessError / TransactionResolutionUnknownError
 * is valid and stays in the pool; an idle client whose socket was lost is moved when it is handed
 * out, before the caller's first statement; `pool.query()` retries once when the error says the
 * statement never reached a server; an `'error'` with no listener is reported as a warning,
 * never thrown.
 */
import pg from 'pg';
import type { PoolConfig } from 'pg';
import type { WrapperOptions } from '../../core/wrapper-options.js';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../core/errors.js';
import { assertPgSupported } from '../../drivers/pg/pg-driver-support.js';
import { pgPoolAcquireClient, pgPoolPulse, pgPoolRelease, pgPoolRemove } from '../../drivers/pg/internals.js';
import type { PgPoolInternals } from '../../drivers/pg/internals.js';
import { Client } from './client.js';
import { markPooled } from '../pooled.js';

export type AuroraPoolConfig = PoolConfig & WrapperOptions;

/** A failover outcome that leaves the connection valid (it moved; only session state was lost). */
function leavesClientValid(err: unknown): boolean {
  return err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError;
}

/** A FailoverSuccessError for a statement that never reached a server: safe to run again. */
function neverSent(err: unknown): boolean {
  return err instanceof FailoverSuccessError && !err.statementSent;
}

type Callback = (err: Error | undefined, result?: unknown) => void;

/** A waiter of pg-pool's queue. */
interface PendingItem {
  timedOut?: boolean;
  callback(err: Error | undefined, client?: unknown, release?: unknown): void;
}

/** pg-pool's members this class sets (not in @types/pg); its private ones: drivers/pg/internals.ts. */
interface PgPoolMembers {
  Client: unknown;
  Promise: PromiseConstructorLike;
}

const NOOP = (): void => undefined;

const BasePool = pg.Pool as unknown as new (
  options?: AuroraPoolConfig,
) => pg.Pool & PgPoolMembers & PgPoolInternals;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Pool extends BasePool {
  constructor(options?: AuroraPoolConfig) {
    // Before pg-pool's constructor: an unsupported pg fails here, not at the first query.
    assertPgSupported();
    super(options);
    // pg's Pool takes its Client from options.Client first, then the one pg bound it to.
    const custom = (options as { Client?: unknown } | undefined)?.Client;
    this.Client = custom ?? Client;
    // pg-pool creates each client from its own copy of the options: mark it (connects: `pool`).
    markPooled((this as unknown as { options: object }).options);
  }

  /** pg-pool's release: our failover outcomes do not make a client invalid. */
  override _release(client: unknown, idleListener: unknown, err?: unknown): void {
    pgPoolRelease(this, client, idleListener, leavesClientValid(err) ? undefined : err);
  }

  /**
   * pg-pool hands an idle client to a waiter. One whose socket was lost while idle is moved
   * first (recoverIdleLoss), so the caller's first statement runs on the new connection: an
   * ORM that runs BEGIN outside its release guard (Drizzle) would otherwise leak the client
   * when BEGIN gets the never-sent failover outcome. A move that fails removes the client and
   * gives the waiter the failover's error, as pg-pool does with a client that cannot connect.
   * A BEGIN that is the client's first call after checkout is run again when the connection
   * moves while it runs (see Client._checkedOut): the same leak, for a loss in flight. A client
   * released in read-only mode (readWriteSplitting) is switched back to the writer first.
   */
  override _acquireClient(
    client: unknown,
    pendingItem: PendingItem,
    idleListener: unknown,
    isNew: boolean,
  ): void {
    if (!isNew && client instanceof Client && client.readOnly) {
      // Released in read-only mode (readWriteSplitting): back on the writer before it is handed
      // out again; a client that cannot switch back is removed and the waiter gets the error.
      client.setReadOnly(false).then(
        () => this.#acquireWritable(client, pendingItem, idleListener, false),
        (err: unknown) => {
          client.removeListener('error', idleListener as (...a: unknown[]) => void);
          pgPoolRemove(this, client);
          if (!pendingItem.timedOut) pendingItem.callback(err as Error, undefined, NOOP);
          pgPoolPulse(this);
        },
      );
      return;
    }
    this.#acquireWritable(client, pendingItem, idleListener, isNew);
  }

  /** The rest of _acquireClient, for a client on the writer side (or without readWriteSplitting). */
  #acquireWritable(client: unknown, pendingItem: PendingItem, idleListener: unknown, isNew: boolean): void {
    if (client instanceof Client) client._checkedOut();
    if (!isNew && client instanceof Client && !client._lostWhileIdle && client._wantsToMove) {
      // Its reader lags past maxReplicaLagMs: moved first, or handed out where it is (alive, stale).
      void client._moveNow().then(() => pgPoolAcquireClient(this, client, pendingItem, idleListener, false));
      return;
    }
    if (isNew || !(client instanceof Client) || !client._lostWhileIdle) {
      pgPoolAcquireClient(this, client, pendingItem, idleListener, isNew);
      return;
    }
    client.recoverIdleLoss().then(
      () => pgPoolAcquireClient(this, client, pendingItem, idleListener, false),
      (err: unknown) => {
        client.removeListener('error', idleListener as (...a: unknown[]) => void);
        pgPoolRemove(this, client);
        if (!pendingItem.timedOut) pendingItem.callback(err as Error, undefined, NOOP);
        pgPoolPulse(this);
      },
    );
  }

  /** pg-pool's emit, except that an `'error'` nobody listens for does not crash the process. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) {
      const err = args[0];
      process.emitWarning(
        `aurora-ha/pg Pool: an idle client failed and was removed (no 'error' listener on the pool): ${
          err instanceof Error ? err.message : String(err)
        }`,
        { code: 'AURORA_HA_POOL_ERROR' },
      );
      return false;
    }
    return super.emit(event, ...args);
  }
}

/** pg-pool's query() itself (the retry calls it; installed below over pg-pool's). */
const pgPoolQuery = (pg.Pool.prototype as unknown as { query: (...a: unknown[]) => unknown }).query;

/**
 * pg-pool's query() in its callback form, run again once when the error says the statement
 * never reached a server. The callback form: pg-pool's promise form adds a promise and a
 * `.catch` link per call, and so did our retry on top of it.
 */
function queryRetried(pool: Pool, text: unknown, values: unknown, cb: Callback): void {
  pgPoolQuery.call(pool, text, values, (err: Error | undefined, r?: unknown) => {
    if (err !== undefined && err !== null && neverSent(err)) pgPoolQuery.call(pool, text, values, cb);
    else cb(err, r);
  });
}

/**
 * queryRetried as a promise; as pg-pool's own, a rejection's stack leads back to the
 * application's awaits (captured here, in the one async frame).
 */
async function queryRetriedPromise(pool: Pool, text: unknown, values: unknown): Promise<unknown> {
  try {
    return await new Promise<unknown>((resolve, reject) => {
      queryRetried(pool, text, values, (err, r) =>
        err !== undefined && err !== null ? reject(err) : resolve(r),
      );
    });
  } catch (err) {
    if (err instanceof Error) Error.captureStackTrace(err);
    throw err;
  }
}

/**
 * pg-pool's query(), retried once when the statement provably never reached a server.
 * Installed on the prototype (not declared in the class) so the type stays pg.Pool's. Named
 * parameters (pg-pool's query takes three): no rest array per call.
 */
function retryingQuery(this: Pool, text: unknown, second?: unknown, third?: unknown): unknown {
  if (typeof text === 'function' || (typeof text === 'object' && text !== null && 'submit' in text)) {
    return pgPoolQuery.call(this, text, second, third);
  }
  let values = second;
  let cb = third as Callback | undefined;
  if (typeof second === 'function') {
    cb = second as Callback;
    values = undefined;
  }
  if (typeof cb === 'function') {
    queryRetried(this, text, values, cb);
    return undefined;
  }
  const p = queryRetriedPromise(this, text, values);
  const P = this.Promise;
  return P === Promise ? p : new P((resolve, reject) => void p.then(resolve, reject));
}

Object.defineProperty(Pool.prototype, 'query', { configurable: true, writable: true, value: retryingQuery });

/** What `pool.connect()` hands out: pg's PoolClient, an aurora-ha Client (`setReadOnly` of readWriteSplitting). */
export type AuroraPoolClient = pg.PoolClient & Pick<Client, 'setReadOnly' | 'readOnly'>;

/** `connect()` typed with the aurora-ha Client it hands out (the implementation is pg-pool's). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Pool {
  connect(): Promise<AuroraPoolClient>;
  connect(
    callback: (
      err: Error | undefined,
      client: AuroraPoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
}
