/**
 * What pools read on an aurora-ha pg Client: pg-pool's own `client._ending` / `client._queryable`
 * (checked when a client is released), and our Pool's hooks `_lostWhileIdle` / `recoverIdleLoss`
 * (facades/pg/pool.ts, at checkout). The Client's members of those names answer from here.
 */
import type pg from 'pg';
import { FailoverSuccessError } from '../../core/errors.js';
import type { LogicalConnection } from '../../connection/logical-connection.js';
import { pgQueryable } from '../../drivers/pg/internals.js';

/** pg-pool's `_ending`: true once end() was called. */
export function endingForPool(lc: LogicalConnection<pg.Client>, userEnded: boolean): boolean {
  return userEnded || lc.closing;
}

/**
 * pg-pool's `_queryable`: false when the connection is dead and no plugin will recover it (a
 * recovered loss leaves the client usable).
 */
export function queryableForPool(lc: LogicalConnection<pg.Client>): boolean {
  if (lc.closing) return false;
  const native = lc.current?.native;
  if (native === undefined || pgQueryable(native)) return true;
  return lc.recoversFromLoss();
}

/**
 * For our Pool: the socket was lost while the client sat idle, and a plugin will move it on its
 * next call (ARCHITECTURE.md › Idle loss).
 */
export function lostWhileIdle(lc: LogicalConnection<pg.Client>, userEnded: boolean): boolean {
  return !userEnded && !lc.closing && lc.current?.closed === true && lc.recoversFromLoss();
}

/**
 * The outcome of the move a pool makes at checkout (`probe`: a statement run on the client lost
 * while idle, which cannot reach a server): resolves when the client moved, rejects with the
 * failover's outcome when the move failed.
 */
export function idleLossRecovered(probe: Promise<unknown>): Promise<void> {
  return probe.then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof FailoverSuccessError && !err.statementSent) return;
      throw err;
    },
  );
}
