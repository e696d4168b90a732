/**
 * A new connection through the reader cluster endpoint: the reader is chosen by
 * `readerInitialConnectionHostSelectorStrategy` among the topology's readers within
 * `maxReplicaLagMs` (DNS does not choose); the writer only when no reader is left. A reader that refuses is skipped for
 * the next pick (and marked down for the cluster); an instance that answers as the writer while
 * the topology called it a reader (a stale topology right after a failover) is not kept. With no
 * topology known, one connection through DNS teaches it first.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import type { ReaderSelection } from '../failover-core/reader-selection.js';
import {
  asAvailable,
  closeQuietly,
  connectHost,
  knownHosts,
  learnTopologyQuietly,
  mark,
  openAndLearn,
  roleOf,
  sameHost,
  writerOf,
} from './connect-steps.js';
import { discoverOnce } from './shared-discovery.js';
import type { OpenContext } from './open-context.js';
import { retryable, retryUntilDeadline, type AttemptResult } from './retry-loop.js';

interface ReaderOpen {
  readonly ctx: OpenContext;
  readonly selector: HostSelector;
  readonly selection: ReaderSelection;
  /** Readers that refused during this open: not picked again until every reader has been tried. */
  readonly skipped: HostInfo[];
  /** Read the topology through DNS again before the next pick (every reader refused). */
  relearn: boolean;
}

export function openReader(
  ctx: OpenContext,
  selector: HostSelector,
  selection: ReaderSelection,
): Promise<PhysicalConnection> {
  const open: ReaderOpen = { ctx, selector, selection, skipped: [], relearn: false };
  return retryUntilDeadline(ctx, 'reader', () => readerAttempt(open));
}

async function readerAttempt(open: ReaderOpen): Promise<AttemptResult> {
  const { ctx } = open;
  let hosts = open.relearn ? undefined : knownHosts(ctx);
  if (hosts === undefined) {
    // Learn the topology through DNS (the reader endpoint), then pick with the strategy.
    const learnt = await discoverOnce(ctx, () => learnThroughDns(open));
    if (learnt !== undefined) return learnt;
    hosts = knownHosts(ctx);
    if (hosts === undefined) return undefined;
  }
  // readers over maxReplicaLagMs are left out: when all are, the writer as for a cluster without reader
  const readers = open.selection.eligible(hosts).filter((h) => h.role === 'reader');
  if (readers.length === 0) {
    const writer = writerOf(hosts);
    return writer === undefined ? undefined : connectChecked(open, writer, 'writer');
  }
  const left = readers.filter((r) => !open.skipped.some((s) => sameHost(s, r)));
  if (left.length === 0) {
    // Every reader refused in this pass: start over from a fresh topology after the pause.
    open.skipped.length = 0;
    open.relearn = true;
    return undefined;
  }
  const up = left.filter((h) => h.availability === 'available');
  const pick = open.selector.select(up.length > 0 ? up : asAvailable(left), 'reader');
  if (pick === undefined) return undefined;
  return connectChecked(open, pick, 'reader');
}

/**
 * One connection through DNS teaches the topology (then closed). Undefined once it is known;
 * DNS's connection itself when the cluster is not topology-aware (DNS's choice is all there is).
 */
async function learnThroughDns(open: ReaderOpen): Promise<AttemptResult> {
  const { ctx } = open;
  const conn = await openAndLearn(ctx, ctx.endpoint, open.relearn);
  open.relearn = false;
  if (knownHosts(ctx) === undefined) return conn;
  await closeQuietly(conn);
  return undefined;
}

/**
 * Connect to `host` (counted on it from now on, for leastConnections) and keep the connection
 * when the instance reports `expected`; otherwise read the topology through it and try again.
 */
async function connectChecked(
  open: ReaderOpen,
  host: HostInfo,
  expected: 'reader' | 'writer',
): Promise<AttemptResult> {
  const { ctx, selection } = open;
  selection.countOn(host);
  let conn: PhysicalConnection;
  try {
    conn = await connectHost(ctx, host);
  } catch (err) {
    selection.countOn(undefined);
    if (!retryable(ctx, err)) throw err;
    mark(ctx, host, false);
    open.skipped.push(host);
    return 'again';
  }
  try {
    const role = await roleOf(ctx, conn);
    mark(ctx, host, true);
    if (role === expected) return conn;
  } catch (err) {
    selection.countOn(undefined);
    await closeQuietly(conn);
    throw err;
  }
  // The topology was stale (a reader promoted, or readers added): learn it through this instance.
  selection.countOn(undefined);
  await learnTopologyQuietly(ctx, conn, true);
  await closeQuietly(conn);
  return 'again';
}
