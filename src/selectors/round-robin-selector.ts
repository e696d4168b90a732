/**
 * `roundRobin`: hosts in turn (stable host:port order), each taking `weight` consecutive turns
 * (`roundRobinHostWeightPairs` by instance name, else `roundRobinDefaultWeight`). The turn state
 * belongs to the cluster and is passed in (round-robin-states.ts keeps one per cluster for the
 * process), so successive connections of a cluster continue one rotation.
 */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { compareHosts, eligibleHosts, weightOf, type HostSelector } from './host-selector.js';

/** Per-cluster rotation state; create one with `newRoundRobinState()` and keep it with the cluster. */
export interface RoundRobinState {
  /** The host that had the last turn. */
  lastHost: { host: string; port: number } | undefined;
  /** Turns it still has before the rotation moves on. */
  turnsLeft: number;
}

export function newRoundRobinState(): RoundRobinState {
  return { lastHost: undefined, turnsLeft: 0 };
}

export class RoundRobinSelector implements HostSelector {
  constructor(
    private readonly state: RoundRobinState,
    private readonly weights: Readonly<Record<string, number>> = {},
    private readonly defaultWeight = 1,
  ) {}

  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    const eligible = eligibleHosts(hosts, role);
    if (eligible.length === 0) return undefined;
    const last = this.state.lastHost;
    const at =
      last === undefined ? -1 : eligible.findIndex((h) => h.host === last.host && h.port === last.port);
    if (at >= 0 && this.state.turnsLeft > 0) {
      this.state.turnsLeft--;
      return eligible[at];
    }
    // Next host after the last one in key order (also when the last one has left the list).
    let next = 0;
    if (last !== undefined) {
      const after = eligible.findIndex((h) => compareHosts(h, last) > 0);
      next = after < 0 ? 0 : after;
    }
    const chosen = eligible[next];
    if (chosen === undefined) return undefined;
    this.state.lastHost = { host: chosen.host, port: chosen.port };
    this.state.turnsLeft = weightOf(this.weights, chosen, this.defaultWeight) - 1;
    return chosen;
  }

  /** The host whose turn it is, then the others in rotation order; the rotation advances once. */
  order(hosts: readonly HostInfo[], role: HostRole): HostInfo[] {
    const first = this.select(hosts, role);
    if (first === undefined) return [];
    const eligible = eligibleHosts(hosts, role);
    const at = eligible.indexOf(first);
    return [...eligible.slice(at), ...eligible.slice(0, at)];
  }
}
