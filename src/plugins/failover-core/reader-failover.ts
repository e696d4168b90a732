/**
 * Reader failover (modes `reader-or-writer` and `strict-reader`): try the readers within
 * `maxReplicaLagMs` (ReaderSelection.eligible; strict-reader keeps lagging ones when no other is
 * available) in random order, then the writer (in strict-reader only for a single-instance cluster),
 * hosts marked down last; within each of these tiers two attempts at a time, each bounded by
 * `failoverReaderConnectTimeoutMs`; the role is verified on the new connection; repeat until
 * one works or the deadline passes.
 */
import type { HostInfo, HostRole } from '../../drivers/host-info.js';
import { withRole } from '../../drivers/host-info.js';
import { certificateStop } from './certificate-stop.js';
import type { FailoverContext, FailoverResult } from './failover-context.js';
import { availabilityKeys, readerCandidateTiers, verifiedRole } from './failover-hosts.js';
import { sleep } from '../../core/time.js';
import { OpenedConnections } from './opened-connections.js';
import { firstSuccessful } from './parallel-attempts.js';
import { readerSelection } from './reader-selection.js';

/** Connection attempts in flight at once during failover. */
export const PARALLEL_ATTEMPTS = 2;
/** Pause between two passes over all candidates. */
const PASS_PAUSE_MS = 100;

/** Whether an instance reporting `role` is an acceptable end of a reader failover. */
export function acceptsRole(mode: FailoverContext['mode'], role: HostRole, singleInstance: boolean): boolean {
  if (role === 'reader') return true;
  if (mode === 'strict-reader') return singleInstance && role === 'writer';
  return role === 'writer' || role === 'unknown';
}

/**
 * Connect to `host`, verify its role with `accept`, mark availability. Resolves with a kept
 * connection or rejects (having closed what it opened); a refused certificate rejects with
 * the FailoverFailedError that ends the failover (the host is not marked unavailable: it answered).
 */
export async function connectVerified(
  ctx: FailoverContext,
  opened: OpenedConnections,
  host: HostInfo,
  signal: AbortSignal,
  accept: (role: HostRole) => boolean,
): Promise<FailoverResult> {
  const { service, deadline } = ctx;
  const timeoutMs = deadline.cap(service.config.options.failoverReaderConnectTimeoutMs);
  let conn;
  try {
    conn = await opened.connect(host, { timeoutMs, signal });
  } catch (err) {
    const stop = certificateStop(host, err);
    if (stop !== undefined) throw stop;
    if (!signal.aborted) service.setAvailability(availabilityKeys(host), 'unavailable');
    throw err;
  }
  try {
    const role = await verifiedRole(service, conn, timeoutMs, signal);
    service.setAvailability(availabilityKeys(host), 'available');
    if (!accept(role)) throw new Error(`${host.host}:${host.port} reports role ${role}`);
    return { conn, host: withRole(host, role) };
  } catch (err) {
    void opened.discard(conn);
    throw err;
  }
}

export async function readerFailover(ctx: FailoverContext): Promise<FailoverResult> {
  const opened = new OpenedConnections(ctx.service);
  try {
    return await readerPasses(ctx, opened);
  } finally {
    // In the background: the answer must not wait for graceful closes (failover-budget.ts).
    void opened.closeAll();
  }
}

async function readerPasses(ctx: FailoverContext, opened: OpenedConnections): Promise<FailoverResult> {
  const { service, deadline, signal, mode } = ctx;
  while (!deadline.passed()) {
    const all = service.hosts();
    const singleInstance = all.length <= 1;
    // readers over maxReplicaLagMs are no candidates (strict-reader keeps them when none is left)
    const hosts = readerSelection(service).eligible(all, mode === 'strict-reader');
    const tiers = readerCandidateTiers(hosts, {
      includeWriter: mode !== 'strict-reader' || singleInstance,
      selector: ctx.readerSelector,
    });
    for (const tier of tiers) {
      const result = await firstSuccessful(
        tier,
        PARALLEL_ATTEMPTS,
        (host, attemptSignal) =>
          connectVerified(ctx, opened, host, attemptSignal, (role) =>
            acceptsRole(mode, role, singleInstance),
          ),
        signal,
        (late) => void opened.discard(late.conn),
      );
      if (result !== undefined) {
        opened.keep(result.conn);
        return result;
      }
    }
    await sleep(deadline.cap(Math.round(PASS_PAUSE_MS * (0.5 + Math.random()))), signal);
  }
  throw new Error('no reader could be reached before failoverTimeoutMs');
}
