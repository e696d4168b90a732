/**
 * Writer failover v2 (mode `strict-writer`): the connection tells the monitor its writer
 * failed and suspends until the monitor verifies a writer (no polling: one promise resolved
 * for every waiter at once). Then it connects to that writer itself, retrying with backoff
 * and jitter while a fresh writer is still refusing or slow, and accepts the connection only
 * when the instance says it is the writer. A writer that stays unreachable for 3 s while the
 * monitor has lost its own connection to it too is reported back to the monitor, which
 * searches again, until `failoverTimeoutMs`. At most `failoverReconnectConcurrency` of the
 * process's connections log in to one writer at a time (reconnect-slots.ts). A refused certificate — on our connect or on the
 * monitor's probes of the search — ends the failover at once (certificate-stop.ts).
 */
import { hostKey, sameInstance, type HostInfo } from '../../drivers/host-info.js';
import { publishMonitorEvent } from '../../topology/monitor-events.js';
import { backoffMs } from '../../core/time.js';
import { NoVerifiedWriterError, type TopologyMonitor } from '../../topology/topology-monitor.js';
import { FailoverFailedError } from '../../core/errors.js';
import { certificateErrorIn, endsFailover } from '../failover-core/certificate-stop.js';
import type { FailoverContext, FailoverResult } from '../failover-core/failover-context.js';
import { sleep, throwIfAborted } from '../../core/time.js';
import { OpenedConnections } from '../failover-core/opened-connections.js';
import { connectVerified } from '../failover-core/reader-failover.js';
import { withReconnectSlot } from '../failover-core/reconnect-slots.js';
import { isConnectTimeout } from '../../drivers/connection-lost.js';

/** How long one verified writer is retried before the monitor is asked to search again. */
const SAME_WRITER_RETRY_MS = 3_000;
/** First pause between two connect attempts to the verified writer; doubles up to the max. */
const RETRY_BASE_MS = 25;
const RETRY_MAX_MS = 500;

export async function reconnectToVerifiedWriter(
  ctx: FailoverContext,
  monitor: TopologyMonitor,
): Promise<FailoverResult> {
  const opened = new OpenedConnections(ctx.service);
  try {
    monitor.reportFailure(ctx.failedHost);
    let lastError: unknown;
    outer: while (!ctx.deadline.passed()) {
      const waitFrom = Date.now();
      let writer: HostInfo;
      try {
        writer = await monitor.awaitVerifiedWriter(ctx.signal);
      } catch (err) {
        // The monitor's search ended on a refused certificate: the failover ends with it.
        const cert = certificateErrorIn(err);
        if (cert !== undefined)
          throw new FailoverFailedError(err instanceof Error ? err.message : String(err), { cause: cert });
        throwIfAborted(ctx.signal);
        // A search that started before our failover ended (its time was up) before our deadline:
        // after a short pause, start one for us (a connection waiting is never held back).
        if (!(err instanceof NoVerifiedWriterError) || monitor.isClosed) throw err;
        lastError = err;
        await sleep(ctx.deadline.cap(backoffMs(0, 100, 100)), ctx.signal);
        monitor.reportFailure(ctx.failedHost);
        continue;
      }
      ctx.phase?.('reconnect');
      publishMonitorEvent(() => ({
        event: 'reconnect-start',
        cluster: monitor.key,
        writer: hostKey(writer),
        waitFrom,
        at: Date.now(),
      }));
      // Let every woken connection resume before any opens its socket: the synchronous part of
      // a driver connect (about a millisecond on a loaded machine) would otherwise delay the
      // k-th waiter by k of them before it even starts.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const giveUpAt = Date.now() + SAME_WRITER_RETRY_MS;
      for (let attempt = 0; ; attempt++) {
        throwIfAborted(ctx.signal);
        try {
          // At most failoverReconnectConcurrency of this process's connections log in to the
          // writer at once; the rest wait their turn here, off the server (reconnect-slots.ts).
          const result = await withReconnectSlot(
            hostKey(writer),
            ctx.service.config.options.failoverReconnectConcurrency,
            ctx.signal,
            () => connectVerified(ctx, opened, writer, ctx.signal, (role) => role === 'writer'),
            isConnectTimeout,
          );
          opened.keep(result.conn);
          return result;
        } catch (err) {
          throwIfAborted(ctx.signal);
          if (endsFailover(err)) throw err;
          lastError = err;
        }
        if (ctx.deadline.passed()) break;
        const current = monitor.writer();
        // The monitor moved on to another writer: wait for (or take) that one instead.
        if (current === undefined || !sameInstance(current, writer)) {
          ctx.phase?.('search');
          continue outer;
        }
        // A writer the monitor is still connected to is alive, only slow to take us (a queue of
        // logins on a loaded instance): keep trying it rather than start another search.
        if (Date.now() >= giveUpAt && !monitor.connected) break;
        await sleep(ctx.deadline.cap(backoffMs(attempt, RETRY_BASE_MS, RETRY_MAX_MS)), ctx.signal);
      }
      // The verified writer does not take us and the monitor lost it too: it may have failed.
      ctx.phase?.('search');
      monitor.reportFailure(writer);
    }
    throw lastError instanceof Error ? lastError : new Error('no verified writer before failoverTimeoutMs');
  } finally {
    // In the background: the answer must not wait for graceful closes (failover-budget.ts).
    void opened.closeAll();
  }
}
