/**
 * What changed between two host lists of one cluster, as `aurora-ha:topology` messages
 * (observe/channels.ts): the writer, the readers added and removed, and hosts whose
 * availability changed. Pure; the topology cache calls it only when someone observes.
 */
import type { TopologyMessage } from '../observe/channels.js';
import { hostKey, type HostInfo } from '../drivers/host-info.js';

function writerOf(hosts: readonly HostInfo[]): string | undefined {
  const w = hosts.find((h) => h.role === 'writer');
  return w === undefined ? undefined : hostKey(w);
}

function readersOf(hosts: readonly HostInfo[]): string[] {
  return hosts.filter((h) => h.role === 'reader').map(hostKey);
}

export function topologyChanges(
  clusterId: string,
  before: readonly HostInfo[],
  after: readonly HostInfo[],
  at: number,
): TopologyMessage[] {
  const out: TopologyMessage[] = [];
  const wBefore = writerOf(before);
  const wAfter = writerOf(after);
  if (wBefore !== wAfter)
    out.push({ event: 'writer-changed', clusterId, before: wBefore, after: wAfter, at });
  const rBefore = readersOf(before);
  const rAfter = readersOf(after);
  const added = rAfter.filter((r) => !rBefore.includes(r));
  const removed = rBefore.filter((r) => !rAfter.includes(r));
  if (added.length > 0 || removed.length > 0) {
    out.push({ event: 'readers-changed', clusterId, added, removed, readers: rAfter, at });
  }
  const was = new Map(before.map((h) => [hostKey(h), h.availability] as const));
  for (const h of after) {
    const previous = was.get(hostKey(h));
    if (previous !== undefined && previous !== h.availability) {
      out.push({
        event: 'availability-changed',
        clusterId,
        host: hostKey(h),
        before: previous,
        after: h.availability,
        at,
      });
    }
  }
  return out;
}
