/**
 * `highestWeight`: the best-ranked host. `HostInfo.weight` is a cost (lower is better:
 * `round(lagMs) * 100 + round(cpu)`), so the highest-ranked host is the one with the LOWEST
 * weight value: the least lagging, then least busy reader. Ties: host:port order.
 * AWS's wrappers pick the host with the largest raw `lag * 100 + cpu`, i.e. the MOST lagging
 * reader; we deliberately do not (see docs/reader-selection.md).
 */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { eligibleHosts, type HostSelector } from './host-selector.js';

export class HighestWeightSelector implements HostSelector {
  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    let best: HostInfo | undefined;
    for (const h of eligibleHosts(hosts, role)) {
      if (best === undefined || h.weight < best.weight) best = h;
    }
    return best;
  }
}
