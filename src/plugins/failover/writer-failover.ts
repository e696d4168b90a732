/**
 * Writer failover (mode `strict-writer`): two tasks race.
 * (A) reconnect to the old writer every `failoverWriterReconnectIntervalMs`, accepted only
 *     if the instance still says it is the writer;
 * (B) connect to a reader, read the topology from it at once and then every
 *     `failoverClusterTopologyRefreshRateMs` (or as soon as the reader drops the connection,
 *     which readers do when they restart to follow a new writer) until a different writer
 *     appears, then connect to that writer (retrying) and verify it says it is the writer.
 * The first verified writer wins; the other task is aborted and every connection either
 * task opened, except the winner, is closed. A refused certificate in either task ends the
 * failover at once (certificate-stop.ts): the other task is aborted too.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import { withRole, type HostInfo } from '../../drivers/host-info.js';
import { certificateStop, endsFailover } from '../failover-core/certificate-stop.js';
import type { FailoverContext, FailoverResult } from '../failover-core/failover-context.js';
import { readerCandidates, verifiedRole } from '../failover-core/failover-hosts.js';
import { sameInstance } from '../../drivers/host-info.js';
import { jittered, sleep, TaskAborted, throwIfAborted, withTimeout } from '../../core/time.js';
import { OpenedConnections } from '../failover-core/opened-connections.js';
import { firstSuccessful } from '../failover-core/parallel-attempts.js';
import { connectVerified, PARALLEL_ATTEMPTS } from '../failover-core/reader-failover.js';

/** Pause between two connect attempts to a newly seen writer that is not accepting yet. */
const NEW_WRITER_RETRY_MS = 50;

export async function writerFailover(ctx: FailoverContext): Promise<FailoverResult> {
  const stopA = new AbortController();
  const stopB = new AbortController();
  const onAbort = (): void => {
    stopA.abort();
    stopB.abort();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const openedA = new OpenedConnections(ctx.service);
  const openedB = new OpenedConnections(ctx.service);
  const taskA = reconnectOldWriter(ctx, openedA, stopA.signal);
  const taskB = waitForNewWriter(ctx, openedB, stopB.signal);
  const stopBothOnEnd = (err: unknown): never => {
    if (endsFailover(err)) onAbort();
    throw err;
  };
  try {
    const winner = await Promise.any([
      taskA.then((r) => {
        stopB.abort();
        return r;
      }, stopBothOnEnd),
      taskB.then((r) => {
        stopA.abort();
        return r;
      }, stopBothOnEnd),
    ]);
    openedA.keep(winner.conn);
    openedB.keep(winner.conn);
    return winner;
  } catch (err) {
    const reasons = err instanceof AggregateError ? err.errors : [err];
    const meaningful = reasons.find(endsFailover) ?? reasons.find((e) => !(e instanceof TaskAborted));
    throw meaningful ?? new Error('writer failover did not find a writer before failoverTimeoutMs');
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    stopA.abort();
    stopB.abort();
    // Close what the tasks hold now, in the background (a graceful close of a silent socket
    // waits for its grace; the failover's answer must not); anything still being opened is
    // aborted when it arrives.
    void openedA.closeAll();
    void openedB.closeAll();
  }
}

/** Task A: the old writer may come back (a network blip, a reboot) and still be the writer. */
async function reconnectOldWriter(
  ctx: FailoverContext,
  opened: OpenedConnections,
  signal: AbortSignal,
): Promise<FailoverResult> {
  const { failedHost, deadline, service } = ctx;
  if (failedHost === undefined) throw new TaskAborted();
  const interval = service.config.options.failoverWriterReconnectIntervalMs;
  while (!deadline.passed()) {
    throwIfAborted(signal);
    try {
      return await connectVerified(ctx, opened, failedHost, signal, (role) => role === 'writer');
    } catch (err) {
      if (signal.aborted) throw new TaskAborted();
      if (endsFailover(err)) throw err;
    }
    await sleep(deadline.cap(jittered(interval, 0.5, 1.5)), signal);
  }
  throw new Error(`old writer ${failedHost.host}:${failedHost.port} did not come back as writer`);
}

interface ReaderSession {
  conn: PhysicalConnection;
  host: HostInfo;
  /** Settles when the server drops this connection (a reader restarting to follow a new writer). */
  lost: Promise<void>;
}

/**
 * Wait `ms` before the next topology read, but wake at once when the reader connection is
 * dropped: after a failover, readers restart to follow the new writer, so a dropped reader
 * connection is the moment its topology is worth reading again.
 */
async function pauseUntilNextRead(
  ms: number,
  reader: ReaderSession | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (reader === undefined || reader.conn.closed) return sleep(ms, signal);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([sleep(ms, stop.signal).catch(() => undefined), reader.lost]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
  throwIfAborted(signal);
}

/** Task B: learn the new writer from a reader's topology, then connect to it. */
async function waitForNewWriter(
  ctx: FailoverContext,
  opened: OpenedConnections,
  signal: AbortSignal,
): Promise<FailoverResult> {
  const { service, deadline, failedHost } = ctx;
  const refreshRate = service.config.options.failoverClusterTopologyRefreshRateMs;
  const cluster = service.hostListProvider.clusterId;
  let reader: ReaderSession | undefined;
  let probing = false;
  try {
    while (!deadline.passed()) {
      throwIfAborted(signal);
      // Another failover of this cluster may already have found (and shared) the new writer.
      const shared = service.hosts().find((h) => h.role === 'writer');
      if (shared !== undefined && !sameInstance(shared, failedHost)) {
        const found = await connectNewWriter(ctx, opened, undefined, shared, signal, refreshRate);
        if (found !== undefined) {
          if (reader !== undefined && found.conn !== reader.conn) void opened.discard(reader.conn);
          return found;
        }
      }
      if (reader === undefined && !probing) {
        // A few topology readers per cluster are enough: the others wait for what they learn.
        if ((readersByCluster.get(cluster) ?? 0) >= READERS_PER_CLUSTER) {
          await sleep(deadline.cap(jittered(FOLLOWER_POLL_MS, 0.5, 1.5)), signal);
          continue;
        }
        probing = true;
        readersByCluster.set(cluster, (readersByCluster.get(cluster) ?? 0) + 1);
      }
      reader ??= await connectAnyReader(ctx, opened, signal);
      if (reader === undefined) {
        await sleep(deadline.cap(jittered(refreshRate, 0.5, 1.5)), signal);
        continue;
      }
      let hosts: readonly HostInfo[];
      try {
        const t = deadline.cap(service.config.options.failoverReaderConnectTimeoutMs);
        const conn = reader.conn;
        hosts = await withTimeout(service.forceRefreshHostList(conn, t), t, 'topology query', signal, () =>
          conn.abort(),
        );
      } catch {
        throwIfAborted(signal);
        void opened.discard(reader.conn);
        reader = undefined;
        continue;
      }
      const writer = hosts.find((h) => h.role === 'writer');
      if (writer !== undefined && !sameInstance(writer, failedHost)) {
        const found = await connectNewWriter(ctx, opened, reader, writer, signal, refreshRate);
        if (found !== undefined) {
          if (found.conn !== reader.conn) void opened.discard(reader.conn);
          return found;
        }
        if (reader.conn.closed) reader = undefined;
      }
      await pauseUntilNextRead(deadline.cap(refreshRate), reader, signal);
    }
    throw new Error('no new writer appeared in the topology before failoverTimeoutMs');
  } finally {
    if (probing) {
      const n = (readersByCluster.get(cluster) ?? 1) - 1;
      if (n <= 0) readersByCluster.delete(cluster);
      else readersByCluster.set(cluster, n);
    }
  }
}

/** Topology readers (task B with a reader connection) running per cluster, process-wide. */
const readersByCluster = new Map<string, number>();
/** How many connections of one cluster read the topology from readers at once during failover. */
const READERS_PER_CLUSTER = 2;
/** How often a waiting failover looks at the shared topology (±50 % jitter). */
const FOLLOWER_POLL_MS = 100;

/** Any instance other than the failed writer will do to read the topology from. */
async function connectAnyReader(
  ctx: FailoverContext,
  opened: OpenedConnections,
  signal: AbortSignal,
): Promise<ReaderSession | undefined> {
  const hosts = ctx.service.hosts();
  let candidates = readerCandidates(hosts, { includeWriter: true, exclude: ctx.failedHost });
  if (candidates.length === 0) candidates = readerCandidates(hosts, { includeWriter: true });
  return firstSuccessful(
    candidates,
    PARALLEL_ATTEMPTS,
    async (host, attemptSignal) => {
      const timeoutMs = ctx.deadline.cap(ctx.service.config.options.failoverReaderConnectTimeoutMs);
      const conn = await opened.connect(host, { timeoutMs, signal: attemptSignal }).catch((err: unknown) => {
        throw certificateStop(host, err) ?? err;
      });
      const lost = new Promise<void>((resolve) => conn.onError(() => resolve()));
      return { conn, host, lost };
    },
    signal,
    (late) => void opened.discard(late.conn),
  );
}

/**
 * The topology names `writer`. Verify it: on the reader connection itself when that is the
 * promoted instance, otherwise by connecting, retried until the next topology refresh is due
 * (a freshly promoted writer may refuse connections for a moment).
 */
async function connectNewWriter(
  ctx: FailoverContext,
  opened: OpenedConnections,
  reader: ReaderSession | undefined,
  writer: HostInfo,
  signal: AbortSignal,
  refreshRate: number,
): Promise<FailoverResult | undefined> {
  const { service, deadline } = ctx;
  ctx.phase?.('reconnect');
  if (reader !== undefined && sameInstance(reader.host, writer) && !reader.conn.closed) {
    try {
      const role = await verifiedRole(service, reader.conn, deadline.cap(refreshRate + 1000), signal);
      if (role === 'writer') return { conn: reader.conn, host: withRole(writer, 'writer') };
    } catch {
      throwIfAborted(signal);
    }
  }
  const retryUntil = Date.now() + Math.max(refreshRate, 500);
  do {
    throwIfAborted(signal);
    try {
      return await connectVerified(ctx, opened, writer, signal, (role) => role === 'writer');
    } catch (err) {
      throwIfAborted(signal);
      if (endsFailover(err)) throw err;
    }
    await sleep(deadline.cap(jittered(NEW_WRITER_RETRY_MS, 0.5, 1.5)), signal);
  } while (Date.now() < retryUntil && !deadline.passed());
  ctx.phase?.('search');
  return undefined;
}
