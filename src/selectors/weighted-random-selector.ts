/**
 * `weightedRandom`: a random host, each with a chance proportional to its configured weight
 * (`weightedRandomHostWeightPairs`, keyed by instance name, host or host:port; unlisted hosts weigh 1).
 */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { eligibleHosts, weightOf, type HostSelector, type RandomSource } from './host-selector.js';

export class WeightedRandomSelector implements HostSelector {
  constructor(
    private readonly weights: Readonly<Record<string, number>> = {},
    private readonly random: RandomSource = Math.random,
  ) {}

  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    const eligible = eligibleHosts(hosts, role);
    if (eligible.length === 0) return undefined;
    const weights = eligible.map((h) => weightOf(this.weights, h, 1));
    let point = this.random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < eligible.length; i++) {
      point -= weights[i] ?? 0;
      if (point < 0) return eligible[i];
    }
    return eligible[eligible.length - 1];
  }
}
