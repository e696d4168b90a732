/**
 * `retryReadsOnFailover` (docs/read-scaling.md › When a reader dies): a statement that fails with
 * its *reader* is sent again on the replacement reader instead of ending in FailoverSuccessError,
 * when sending it again cannot change what the caller sees:
 * - the connection is on an instance the topology names a reader, in a reader failover mode
 *   (never a writer connection: a write must never run twice);
 * - outside a transaction (MySQL with autocommit off counts as inside one);
 * - the session holds nothing of its own: no statement that may change or bind it was sent on
 *   it (connection/session-statements.ts), and state set through our API is either absent or
 *   restored on the replacement (`keepSessionStateOnFailover`);
 * - nothing of the result reached the caller (the facades mark calls that stream rows or
 *   events `sendOnce`; pg's submittables — cursors, query streams — never enter the pipeline);
 * - the replacement is a reader too (a read that moved to the writer is reported as before).
 * The statement is sent once more, never twice.
 */
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import type { FailoverMode } from '../../core/wrapper-options.js';

/** Watch `conn`'s session when a read that fails on it may be sent again (`host`: its instance). */
export function armReadResend(
  service: PluginService,
  mode: FailoverMode,
  conn: PhysicalConnection,
  host: HostInfo,
): void {
  const on =
    service.config.options.retryReadsOnFailover && mode !== 'strict-writer' && host.role === 'reader';
  // Adapters without the field (hand-built ones) get it only when it is on.
  if (on || conn.watchSession !== undefined) conn.watchSession = on;
}

/** Whether a call that failed on `failed` (outside a transaction) may be sent again on a connection to `replacement`. */
export function mayResendRead(
  service: PluginService,
  failed: PhysicalConnection | undefined,
  inTx: boolean,
  replacement: HostInfo,
): boolean {
  if (failed === undefined || failed.watchSession !== true || failed.sessionTouched === true) return false;
  if (inTx || replacement.role !== 'reader') return false;
  if (failed.reportedSessionState?.().autocommit === false) return false;
  const options = service.config.options;
  if (!options.retryReadsOnFailover) return false;
  // State set through our API (autocommit, read-only, isolation, schema) is only carried over
  // by keepSessionStateOnFailover; without it the new session would differ.
  if (!options.keepSessionStateOnFailover && Object.keys(service.sessionState()).length > 0) return false;
  return true;
}
