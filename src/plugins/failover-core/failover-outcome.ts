/**
 * The outcome a caller sees after a failover (ARCHITECTURE.md › Failover outcomes), the same for v1
 * and v2: the error to reject with (marked not sent when the call never reached a server,
 * ARCHITECTURE.md › Idle loss), and the best-effort rollback of the failed transaction.
 */
import {
  FailoverSuccessError,
  TransactionResolutionUnknownError,
  type FailoverError,
} from '../../core/errors.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../drivers/host-info.js';
import { withTimeout } from '../../core/time.js';

/** Bound on the rollback attempt on a connection that just failed. */
export const ROLLBACK_TIMEOUT_MS = 1000;

/**
 * Outside a transaction: repeat the statement; inside: restart the transaction. `statementSent`
 * is false when the call was never sent (its connection was found lost before it): the caller
 * may then repeat even a statement that is not idempotent.
 */
export function outcomeError(
  newHost: HostInfo,
  inTransaction: boolean,
  cause: unknown,
  statementSent = true,
): FailoverError {
  const where = hostKey(newHost);
  return inTransaction
    ? new TransactionResolutionUnknownError(where, { cause, statementSent })
    : new FailoverSuccessError(where, { cause, statementSent });
}

/** Try to roll back on the failed connection; a broken socket fails fast, a silent one is cut. */
export async function rollbackQuietly(conn: PhysicalConnection, timeoutMs: number): Promise<void> {
  if (conn.closed) return;
  try {
    await withTimeout(conn.queryRows('ROLLBACK', timeoutMs), timeoutMs, 'rollback', undefined, () =>
      conn.abort(),
    );
  } catch {
    // The connection is most likely gone; the transaction ends with it.
  }
}
