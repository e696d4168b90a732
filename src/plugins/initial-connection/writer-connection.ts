/**
 * A new connection through the writer cluster endpoint, returned only once the instance says it
 * is the writer. With the topology known in this process, connect to the writer it names
 * instead of trusting DNS (which lags 20–60 s behind a failover); when that instance refuses or
 * answers as a reader, ask the other instances (the new writer reports itself first; a reader's
 * topology names it once re-pointed). With no topology known, go through DNS and check the role;
 * when DNS leads to a dead host, learn the topology through the reader cluster endpoint.
 */
import type { PhysicalConnection } from '../../drivers/driver.js';
import { makeHost, type HostInfo } from '../../drivers/host-info.js';
import { clusterEndpointsOf } from '../../topology/rds-url.js';
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
import { discoverOnce, joinedDiscovery } from './shared-discovery.js';
import type { OpenContext } from './open-context.js';
import { retryable, retryUntilDeadline, type AttemptResult } from './retry-loop.js';

export function openWriter(ctx: OpenContext): Promise<PhysicalConnection> {
  return retryUntilDeadline(ctx, 'writer', () => writerAttempt(ctx));
}

async function writerAttempt(ctx: OpenContext): Promise<AttemptResult> {
  // Another open is finding the writer: its answer, not the topology it is correcting.
  if (await joinedDiscovery(ctx)) return 'again';
  const hosts = knownHosts(ctx);
  const writer = hosts === undefined ? undefined : writerOf(hosts);
  return writer === undefined ? discoverOnce(ctx, () => throughDns(ctx)) : topologyWriter(ctx, writer);
}

/**
 * No topology known: connect where DNS says. The writer → done. A reader (an old writer back
 * after failover) → its topology names the new writer: `again`. A dead host → learn the
 * topology through the reader cluster endpoint.
 */
async function throughDns(ctx: OpenContext): Promise<AttemptResult> {
  const s = ctx.service;
  let conn: PhysicalConnection;
  try {
    conn = await openAndLearn(ctx, ctx.endpoint, false);
  } catch (err) {
    if (!retryable(ctx, err)) throw err;
    const learnt = await learnThroughReaderEndpoint(ctx);
    if (learnt !== undefined) return learnt;
    throw err;
  }
  const role = await roleOf(ctx, conn).catch(async (err: unknown) => {
    await closeQuietly(conn);
    throw err;
  });
  if (role === 'writer' || (role === 'unknown' && s.dialect?.topologyAware !== true)) return conn;
  await learnTopologyQuietly(ctx, conn, true);
  await closeQuietly(conn);
  return s.dialect?.topologyAware === true ? 'again' : undefined;
}

/**
 * The writer endpoint leads to a dead host: read the topology through the reader cluster
 * endpoint of the same cluster. The instance DNS gives for it may be the newly promoted writer
 * (the reader endpoint lags too): then that connection is the answer. Otherwise `again` when a
 * topology with a writer is known afterwards, else undefined.
 */
async function learnThroughReaderEndpoint(ctx: OpenContext): Promise<AttemptResult> {
  const names = clusterEndpointsOf(ctx.endpoint.host);
  if (names === undefined) return undefined;
  let conn: PhysicalConnection;
  try {
    conn = await openAndLearn(ctx, makeHost(names.reader, ctx.endpoint.port), true);
  } catch (err) {
    if (!retryable(ctx, err)) throw err;
    return undefined;
  }
  try {
    if ((await roleOf(ctx, conn)) === 'writer') return conn;
  } catch (err) {
    if (!retryable(ctx, err)) {
      await closeQuietly(conn);
      throw err;
    }
  }
  await closeQuietly(conn);
  return knownHosts(ctx) !== undefined ? 'again' : undefined;
}

/** Connect to `host` and keep the connection only if the instance says it is the writer. */
async function verifiedWriter(
  ctx: OpenContext,
  host: HostInfo,
): Promise<{ conn: PhysicalConnection } | { notWriter: readonly HostInfo[] }> {
  const conn = await connectHost(ctx, host);
  try {
    if ((await roleOf(ctx, conn)) === 'writer') {
      mark(ctx, host, true);
      return { conn };
    }
    mark(ctx, host, true);
    // A reader now: what it knows of the topology (it names the new writer once re-pointed).
    const hosts = await learnTopologyQuietly(ctx, conn, true);
    await closeQuietly(conn);
    return { notWriter: hosts };
  } catch (err) {
    await closeQuietly(conn);
    throw err;
  }
}

/** One candidate asked: the writer's connection, or what it taught (its topology, or its error). */
type Asked = { conn: PhysicalConnection } | { hosts: readonly HostInfo[]; err?: unknown };

/**
 * Connect to `host` and keep it if it says it is the writer (then read the topology through it:
 * now when `refresh`, else through the TTL cache). A reader → its topology; a retryable failure
 * → the host is marked down and the error kept.
 */
async function ask(ctx: OpenContext, host: HostInfo, refresh: boolean): Promise<Asked> {
  try {
    const result = await verifiedWriter(ctx, host);
    if ('notWriter' in result) return { hosts: result.notWriter };
    await learnTopologyQuietly(ctx, result.conn, refresh);
    return result;
  } catch (err) {
    if (!retryable(ctx, err)) throw err;
    mark(ctx, host, false);
    return { hosts: ctx.service.hosts(), err };
  }
}

/**
 * The topology names `writer`: connect to it. If it refuses or is a reader now, the topology is
 * stale: search the other instances — one open of the endpoint at a time (shared-discovery.ts).
 */
async function topologyWriter(ctx: OpenContext, writer: HostInfo): Promise<AttemptResult> {
  const first = await ask(ctx, writer, false);
  if ('conn' in first) return first.conn;
  // Another open found the writer while this one waited for `writer` (connects to a refusing
  // host wait their turn: failover-core/host-connect-gate.ts): go there instead.
  const now = writerOf(ctx.service.hosts());
  if (now !== undefined && !sameHost(now, writer)) return 'again';
  return discoverOnce(ctx, () => searchWriter(ctx, writer, first));
}

/**
 * Ask the instances in turn, after `first` failed: one that says it is the writer is kept (and
 * the truth read from it, so the next connections go straight), another's topology may name a
 * writer not tried yet. Nothing found → undefined (the loop pauses and starts over).
 */
async function searchWriter(
  ctx: OpenContext,
  first: HostInfo,
  firstAnswer: Exclude<Asked, { conn: PhysicalConnection }>,
): Promise<AttemptResult> {
  const tried: HostInfo[] = [first];
  let lastErr = firstAnswer.err;
  let candidate = nextCandidate(ctx, firstAnswer.hosts, tried);
  while (candidate !== undefined && !ctx.signal.aborted) {
    tried.push(candidate);
    const answer = await ask(ctx, candidate, true);
    if ('conn' in answer) return answer.conn;
    if (answer.err !== undefined) lastErr = answer.err;
    candidate = nextCandidate(ctx, answer.hosts, tried);
  }
  if (lastErr !== undefined) throw lastErr;
  return undefined;
}

/** The writer `hosts` name if not tried yet, else another instance not tried yet. */
function nextCandidate(
  ctx: OpenContext,
  hosts: readonly HostInfo[],
  tried: readonly HostInfo[],
): HostInfo | undefined {
  const named = writerOf(hosts);
  return named !== undefined && !tried.some((t) => sameHost(t, named))
    ? named
    : nextToAsk(ctx.service.hosts(), tried);
}

/** Another instance of the topology not tried yet: available readers first, then the rest. */
function nextToAsk(hosts: readonly HostInfo[], tried: readonly HostInfo[]): HostInfo | undefined {
  const fresh = hosts.filter((h) => !tried.some((t) => sameHost(t, h)));
  const up = fresh.filter((h) => h.availability === 'available');
  return [...up, ...asAvailable(fresh.filter((h) => h.availability !== 'available'))][0];
}
