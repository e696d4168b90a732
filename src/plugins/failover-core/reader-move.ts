/**
 * An idle pooled reader connection leaves its instance when its pool hands it out
 * (docs/read-scaling.md › Reader pools): when that reader lags past `maxReplicaLagMs`, or was
 * promoted to writer (a failover: its sessions stay up and would serve reads from the writer).
 * The pool asks `wantsToMove` and, when true, awaits `moveNow` before the application's first
 * statement. A move is a planned reader failover of an idle connection: another reader (within
 * the limit) is connected to and verified (as reader failover does, bounded by
 * `failoverReaderConnectTimeoutMs` per attempt and by `failoverTimeoutMs` in all), the session
 * state kept by `keepSessionStateOnFailover` is restored, and the connection switches (the facade
 * emits `'failover'`); the old one is closed. It happens only when moving cannot change what the
 * application sees — the session rules of `retryReadsOnFailover` (read-resend.ts): a watched
 * reader session that ran nothing of its own, outside a transaction — and only when another
 * reader is available. Anything that goes wrong leaves the connection where it was (alive).
 */
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { sameInstance, type HostInfo } from '../../drivers/host-info.js';
import { Deadline } from '../../core/time.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { lagsTooMuch } from '../../selectors/replica-lag.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { readerFailover } from './reader-failover.js';
import { restoreSession, RESTORE_TIMEOUT_MS } from './session-restore.js';
import type { FailoverResult } from './failover-context.js';

/** Where a connection is: its physical connection and the topology instance it is on. */
export interface Placement {
  readonly conn: PhysicalConnection;
  readonly host: HostInfo;
}

/**
 * Whether the idle reader connection at `at` (its instance a reader when it connected) should
 * leave: its instance now lags past `maxReplicaLagMs` or is the writer, and another reader
 * (within the limit) is available.
 */
export function shouldLeaveReader(
  service: PluginService,
  at: Placement | undefined,
  hosts: readonly HostInfo[],
): boolean {
  if (at === undefined || at.host.role !== 'reader' || service.current !== at.conn) return false;
  const { conn } = at;
  if (conn.closed || conn.watchSession !== true || conn.sessionTouched === true || conn.inTransaction())
    return false;
  const now = hosts.find((h) => sameInstance(h, at.host));
  if (now === undefined) return false;
  const max = service.config.options.maxReplicaLagMs;
  const tooFar = (h: HostInfo): boolean => max !== undefined && lagsTooMuch(h, max);
  if (now.role !== 'writer' && !tooFar(now)) return false;
  return hosts.some(
    (h) => h.role === 'reader' && h.availability !== 'unavailable' && !sameInstance(h, at.host) && !tooFar(h),
  );
}

/**
 * Move the idle connection at `at` to another reader (within the limit). Resolves with the new
 * placement, or undefined when it stays (nothing better reachable, or the connection changed or
 * got busy meanwhile); never rejects.
 */
export async function moveToOtherReader(
  service: PluginService,
  at: Placement,
  readerSelector: HostSelector | undefined,
  signal: AbortSignal,
): Promise<FailoverResult | undefined> {
  const deadline = new Deadline(service.config.options.failoverTimeoutMs);
  let result: FailoverResult;
  try {
    // strict-reader: a move never ends on the writer.
    result = await readerFailover({
      service,
      mode: 'strict-reader',
      failedHost: at.host,
      deadline,
      signal,
      readerSelector,
    });
  } catch {
    return undefined;
  }
  const stays =
    result.host.role !== 'reader' ||
    sameInstance(result.host, at.host) ||
    service.current !== at.conn ||
    at.conn.closed ||
    at.conn.inTransaction();
  if (stays) {
    void closeQuietly(result.conn);
    return undefined;
  }
  try {
    await restoreSession(service, result.conn, at.conn, deadline.cap(RESTORE_TIMEOUT_MS));
    if (service.current !== at.conn || signal.aborted) throw new Error('the connection changed meanwhile');
    await service.setCurrentConnection(result.conn, result.host);
  } catch {
    void closeQuietly(result.conn);
    return undefined;
  }
  return result;
}
