/**
 * The host selector contract: pick one available host of a role from a host list. Strategies live
 * one per file; `createSelector` (create-selector.ts) builds one by its configured name, and
 * `readerSelection` (reader-selection.ts) gives a logical connection its selectors with the
 * process-wide data they need (rotation state, connection counts, response times).
 */

import type { HostInfo, HostRole } from '../drivers/host-info.js';

export interface HostSelector {
  /** One available host of `role` from `hosts`, or undefined when there is none. */
  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined;
  /**
   * Every available host of `role`, best first (failover tries them in this order). Optional:
   * without it the order is made of repeated `select` calls (see `orderedHosts`). Stateful
   * strategies implement it so that one ordering advances their state once, not once per host.
   */
  order?(hosts: readonly HostInfo[], role: HostRole): HostInfo[];
}

/** A random number in [0, 1); injectable so tests can fix the sequence. */
export type RandomSource = () => number;

/** The hosts a selector may choose from: available, of `role`, in a stable (host:port) order. */
export function eligibleHosts(hosts: readonly HostInfo[], role: HostRole): HostInfo[] {
  return hosts
    .filter((h) => h.role === role && h.availability === 'available')
    .sort((a, b) => compareHosts(a, b));
}

export function compareHosts(a: { host: string; port: number }, b: { host: string; port: number }): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  return a.port - b.port;
}

/** Index in [0, n) from a random source (clamped against sources returning 1). */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Weight of `host` from a weight map keyed by instance name (as AWS's wrappers document,
 * `instance-1:3`), by `host:port` or by host name; `fallback` when none is listed. A name the
 * topology does not (yet) hold simply matches nothing until that instance appears.
 */
export function weightOf(
  weights: Readonly<Record<string, number>>,
  host: HostInfo,
  fallback: number,
): number {
  return (
    (host.instanceId !== undefined ? weights[host.instanceId] : undefined) ??
    weights[`${host.host}:${host.port}`] ??
    weights[host.host] ??
    fallback
  );
}

/** Every available host of `role`, in the order `selector` prefers them. */
export function orderedHosts(selector: HostSelector, hosts: readonly HostInfo[], role: HostRole): HostInfo[] {
  if (selector.order !== undefined) return selector.order(hosts, role);
  const rest = [...hosts];
  const out: HostInfo[] = [];
  for (;;) {
    const pick = selector.select(rest, role);
    if (pick === undefined) return out;
    out.push(pick);
    rest.splice(rest.indexOf(pick), 1);
  }
}
