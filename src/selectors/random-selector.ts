/** `random`: every eligible host equally likely. */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { eligibleHosts, randomIndex, type HostSelector, type RandomSource } from './host-selector.js';

export class RandomSelector implements HostSelector {
  constructor(private readonly random: RandomSource = Math.random) {}

  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    const eligible = eligibleHosts(hosts, role);
    return eligible.length === 0 ? undefined : eligible[randomIndex(this.random, eligible.length)];
  }
}
