/**
 * The host selector contract: pick one available host of a role from a host list. Strategies live
 * one per file; `createSelector` (create-selector.ts) builds one by its configured name.
 */

import type { HostInfo, HostRole } from '../hosts/host-info.js';

export interface HostSelector {
  /** One available host of `role` from `hosts`, or undefined when there is none. */
  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined;
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

/** Weight of `host` from a `{ host or host:port: weight }` map, else `fallback`. */
export function weightOf(
  weights: Readonly<Record<string, number>>,
  host: HostInfo,
  fallback: number,
): number {
  return weights[`${host.host}:${host.port}`] ?? weights[host.host] ?? fallback;
}
