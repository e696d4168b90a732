/** `leastConnections`: the eligible host with the fewest open connections (ties: host:port order). */

import type { HostInfo, HostRole } from '../drivers/host-info.js';
import { eligibleHosts, type HostSelector } from './host-selector.js';

/** How many connections the wrapper currently holds to `host`. */
export type ConnectionCount = (host: HostInfo) => number;

export class LeastConnectionsSelector implements HostSelector {
  constructor(private readonly connectionCount: ConnectionCount) {}

  select(hosts: readonly HostInfo[], role: HostRole): HostInfo | undefined {
    let best: HostInfo | undefined;
    let bestCount = Infinity;
    for (const h of eligibleHosts(hosts, role)) {
      const n = this.connectionCount(h);
      if (n < bestCount) {
        best = h;
        bestCount = n;
      }
    }
    return best;
  }
}
