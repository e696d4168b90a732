/**
 * Host bookkeeping for failover: identity of a host across cluster-endpoint and instance
 * names, the keys used to mark availability, the order in which readers are tried, and
 * a bounded "which role does this instance report for itself?" check.
 */
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, sameInstance, type HostInfo, type HostRole } from '../../drivers/host-info.js';
import { orderedHosts, type HostSelector } from '../../selectors/host-selector.js';
import { withTimeout } from '../../core/time.js';

/** Keys under which the shared topology knows this host (`host:port`, and the instance id). */
export function availabilityKeys(h: HostInfo): string[] {
  return h.instanceId !== undefined ? [hostKey(h), h.instanceId] : [hostKey(h)];
}

/**
 * The topology entry for the host the connection is on: the current host itself when it is
 * an instance of the topology; an instance identified earlier (it carries its instance id) that
 * the topology no longer lists — the failed writer, dropped while it is down — is itself too;
 * otherwise (a cluster endpoint, an IP address, a custom name) the topology's writer when the
 * connection is meant to be on the writer, else the host as is. (Naming the writer for a
 * dropped instance blamed the *new* writer for an idle connection that recovered late: marked
 * unavailable, and failover2's monitor searched again for every such connection.)
 */
export function topologyEntryFor(
  current: HostInfo | undefined,
  hosts: readonly HostInfo[],
  onWriter: boolean,
): HostInfo | undefined {
  const writer = hosts.find((h) => h.role === 'writer');
  if (current === undefined) return writer;
  const match = hosts.find((h) => sameInstance(h, current) || hostKey(h) === hostKey(current));
  if (match !== undefined || current.instanceId !== undefined) return match ?? current;
  return onWriter && writer !== undefined ? writer : current;
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/** Readers in the order `selector` prefers them (random order when none is given). */
function orderReaders(readers: readonly HostInfo[], selector: HostSelector | undefined): HostInfo[] {
  if (selector === undefined) return shuffled(readers);
  const out = orderedHosts(selector, readers, 'reader');
  return [...out, ...shuffled(readers.filter((h) => !out.includes(h)))];
}

/**
 * Candidates in tiers, best first: available readers (in the selector's order), then the
 * writer when allowed, then every host marked unavailable (it may be back). A tier is only
 * tried once the tiers before it failed, so a slow reader never loses to a fast writer.
 * `exclude` removes a host (the failed writer).
 */
export function readerCandidateTiers(
  hosts: readonly HostInfo[],
  opts: { includeWriter: boolean; exclude?: HostInfo | undefined; selector?: HostSelector | undefined },
): HostInfo[][] {
  const usable = hosts.filter((h) => !sameInstance(h, opts.exclude));
  const up = usable.filter((h) => h.availability === 'available');
  const down = usable.filter((h) => h.availability !== 'available');
  const tiers = [
    orderReaders(
      up.filter((h) => h.role !== 'writer'),
      opts.selector,
    ),
    opts.includeWriter ? up.filter((h) => h.role === 'writer') : [],
    shuffled(down.filter((h) => h.role !== 'writer')),
    opts.includeWriter ? down.filter((h) => h.role === 'writer') : [],
  ];
  return tiers.filter((t) => t.length > 0);
}

/** The same candidates as one list, best first. */
export function readerCandidates(
  hosts: readonly HostInfo[],
  opts: { includeWriter: boolean; exclude?: HostInfo | undefined; selector?: HostSelector | undefined },
): HostInfo[] {
  return readerCandidateTiers(hosts, opts).flat();
}

/** The role the instance reports for itself, bounded; on timeout the connection is aborted. */
export function verifiedRole(
  service: PluginService,
  conn: PhysicalConnection,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<HostRole> {
  return withTimeout(service.hostRole(conn), timeoutMs, 'role check', signal, () => conn.abort());
}
