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
import { coldStartOnce } from './cold-start.js';
import type { OpenContext } from './open-context.js';
import { retryable, retryUntilDeadline, type AttemptResult } from './retry-loop.js';

export function openWriter(ctx: OpenContext): Promise<PhysicalConnection> {
  return retryUntilDeadline(ctx, 'writer', () => writerAttempt(ctx));
}

async function writerAttempt(ctx: OpenContext): Promise<AttemptResult> {
  const hosts = knownHosts(ctx);
  const writer = hosts === undefined ? undefined : writerOf(hosts);
  return writer === undefined ? coldStartOnce(ctx, () => throughDns(ctx)) : topologyWriter(ctx, writer);
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

/**
 * The topology names `writer`. Connect to it; if it refuses or is a reader now, ask the other
 * instances in turn: one that says it is the writer is kept, another's topology may name a
 * writer not tried yet. Nothing found → undefined (the loop pauses and starts over).
 */
async function topologyWriter(ctx: OpenContext, writer: HostInfo): Promise<AttemptResult> {
  const tried: HostInfo[] = [];
  let candidate: HostInfo | undefined = writer;
  let hops = 0;
  let lastErr: unknown;
  while (candidate !== undefined && !ctx.signal.aborted) {
    tried.push(candidate);
    let hosts: readonly HostInfo[] = ctx.service.hosts();
    try {
      const result = await verifiedWriter(ctx, candidate);
      if ('conn' in result) {
        // Learnt on the way: read the truth from the writer itself so the next connection goes straight.
        if (hops > 0) await learnTopologyQuietly(ctx, result.conn, true);
        else await learnTopologyQuietly(ctx, result.conn, false);
        return result.conn;
      }
      hosts = result.notWriter;
    } catch (err) {
      if (!retryable(ctx, err)) throw err;
      lastErr = err;
      mark(ctx, candidate, false);
    }
    hops++;
    const named = writerOf(hosts);
    candidate =
      named !== undefined && !tried.some((t) => sameHost(t, named))
        ? named
        : nextToAsk(ctx.service.hosts(), tried);
  }
  if (lastErr !== undefined) throw lastErr;
  return undefined;
}

/** Another instance of the topology not tried yet: available readers first, then the rest. */
function nextToAsk(hosts: readonly HostInfo[], tried: readonly HostInfo[]): HostInfo | undefined {
  const fresh = hosts.filter((h) => !tried.some((t) => sameHost(t, h)));
  const up = fresh.filter((h) => h.availability === 'available');
  return [...up, ...asAvailable(fresh.filter((h) => h.availability !== 'available'))][0];
}
