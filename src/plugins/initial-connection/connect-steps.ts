/**
 * The steps an initial connection is made of, each bounded by the open's deadline: connect to
 * one host, make sure the dialect (hence the cluster's shared topology) is known, read the
 * topology through a connection, and ask an instance which role it has.
 */
import { detectDialect } from '../../dialects/detect-dialect.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo, HostRole } from '../../drivers/host-info.js';
import { hostKey, withAvailability } from '../../drivers/host-info.js';
import { withTimeout } from '../../core/time.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { stepMs, type OpenContext } from './open-context.js';

/** Open a physical connection to `host` directly with the driver, bounded and abortable. */
export function connectHost(ctx: OpenContext, host: HostInfo): Promise<PhysicalConnection> {
  return ctx.service.forceConnect(host, { timeoutMs: stepMs(ctx), signal: ctx.signal, purpose: 'initial' });
}

/** The topology of this process for the cluster, when known (a topology-aware dialect and a writer row). */
export function knownHosts(ctx: OpenContext): readonly HostInfo[] | undefined {
  const s = ctx.service;
  s.adoptKnownDialect?.();
  if (s.dialect?.topologyAware !== true) return undefined;
  const hosts = s.hosts();
  return hosts.some((h) => h.role === 'writer') ? hosts : undefined;
}

/** The topology's writer entry. */
export function writerOf(hosts: readonly HostInfo[]): HostInfo | undefined {
  return hosts.find((h) => h.role === 'writer');
}

/** `conn` seen as a connection to `host` (same socket): lets detection cache its answer under `host`. */
function viewAs(conn: PhysicalConnection, host: HostInfo): PhysicalConnection {
  const withColumns = conn.queryWithColumns?.bind(conn);
  return {
    host,
    native: conn.native,
    get closed() {
      return conn.closed;
    },
    queryRows: (sql, t) => conn.queryRows(sql, t),
    ...(withColumns !== undefined ? { queryWithColumns: withColumns } : {}),
    inTransaction: () => conn.inTransaction(),
    abort: () => conn.abort(),
    close: () => conn.close(),
    onError: (listener) => conn.onError(listener),
  };
}

/**
 * Make the connection's dialect known: the one this process already detected for the endpoint,
 * or a detection through `conn` (which may be a connection to a sibling endpoint of the same
 * cluster), remembered under the endpoint so the next connection starts warm.
 */
export async function ensureDialect(ctx: OpenContext, conn: PhysicalConnection): Promise<void> {
  const s = ctx.service;
  if (s.dialect !== undefined) return;
  s.adoptKnownDialect?.();
  if (s.dialect !== undefined) return;
  await detectDialect(viewAs(conn, s.initialHost), s.driver.engine, { timeoutMs: stepMs(ctx) });
  s.adoptKnownDialect?.();
}

/**
 * Read the topology through `conn` now when `force` (what this instance says is wanted); else
 * through the per-cluster TTL cache, a stale copy refreshed by joining a read in flight (any
 * connection's) or, with none, through `conn`.
 */
export async function learnTopology(
  ctx: OpenContext,
  conn: PhysicalConnection,
  force: boolean,
): Promise<readonly HostInfo[]> {
  const s = ctx.service;
  if (s.dialect?.topologyAware !== true) return s.hosts();
  const ms = stepMs(ctx);
  const work = force ? s.forceRefreshHostList(conn, ms) : s.refreshHostList(conn, ms).then(() => s.hosts());
  return withTimeout(work, ms, 'topology query', ctx.signal, () => conn.abort());
}

/** Like `learnTopology`, but a failure only means the topology stays as it was. */
export async function learnTopologyQuietly(
  ctx: OpenContext,
  conn: PhysicalConnection,
  force: boolean,
): Promise<readonly HostInfo[]> {
  try {
    return await learnTopology(ctx, conn, force);
  } catch {
    return ctx.service.hosts();
  }
}

/** The role the instance behind `conn` reports for itself, bounded. */
export function roleOf(ctx: OpenContext, conn: PhysicalConnection): Promise<HostRole> {
  return withTimeout(ctx.service.hostRole(conn), stepMs(ctx), 'role check', ctx.signal, () => conn.abort());
}

/**
 * Connect to `host`, make the dialect known and read the topology (TTL cache unless `force`).
 * On failure the connection is closed and the error thrown.
 */
export async function openAndLearn(
  ctx: OpenContext,
  host: HostInfo,
  force: boolean,
): Promise<PhysicalConnection> {
  const conn = await connectHost(ctx, host);
  try {
    await ensureDialect(ctx, conn);
    await learnTopology(ctx, conn, force);
    return conn;
  } catch (err) {
    await closeQuietly(conn);
    throw err;
  }
}

/** Mark a host (and its instance id) down or up in the cluster's shared topology. */
export function mark(ctx: OpenContext, host: HostInfo, up: boolean): void {
  const keys = host.instanceId !== undefined ? [hostKey(host), host.instanceId] : [hostKey(host)];
  ctx.service.setAvailability(keys, up ? 'available' : 'unavailable');
}

/** `hosts` as candidates regardless of availability marks (a host marked down may be back). */
export function asAvailable(hosts: readonly HostInfo[]): HostInfo[] {
  return hosts.map((h) => withAvailability(h, 'available'));
}

/** Same instance? By instance id when both know it, by `host:port` otherwise. */
export function sameHost(a: HostInfo, b: HostInfo): boolean {
  if (a.instanceId !== undefined && b.instanceId !== undefined) return a.instanceId === b.instanceId;
  return hostKey(a) === hostKey(b);
}

export { closeQuietly };
