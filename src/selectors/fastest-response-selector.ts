/**
 * `fastestResponse`: the eligible host with the lowest measured response time; hosts not measured
 * yet are skipped, and when none is measured the choice is random.
 */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { eligibleHosts, randomIndex, type HostSelector, type RandomSource } from './host-selector.js';

/** Latest measured response time of `host` in ms, or undefined when unknown. */
export type ResponseTime = (host: HostInfo) => number | undefined;

export class FastestResponseSelector implements HostSelector {
  constructor(
    private readonly responseTime: ResponseTime,
    private readonly random: RandomSource = Math.random,
  ) {}

  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    const eligible = eligibleHosts(hosts, role);
    let best: HostInfo | undefined;
    let bestTime = Infinity;
    for (const h of eligible) {
      const t = this.responseTime(h);
      if (t !== undefined && Number.isFinite(t) && t < bestTime) {
        best = h;
        bestTime = t;
      }
    }
    if (best !== undefined || eligible.length === 0) return best;
    return eligible[randomIndex(this.random, eligible.length)];
  }
}
