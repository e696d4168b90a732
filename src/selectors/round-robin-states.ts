/**
 * The `roundRobin` rotation of each cluster in this process, so that successive connections
 * (and failovers) of a cluster take turns instead of each starting its own rotation. A state is
 * two fields; the map keeps the most recently used clusters only (bounded, never grows with
 * connections), so a cluster's rotation survives moments when it has no open connection.
 */

import { BoundedLru } from '../core/bounded-lru.js';
import { newRoundRobinState, type RoundRobinState } from './round-robin-selector.js';

/** Upper bound on remembered clusters; the least recently used one is forgotten first. */
export const ROUND_ROBIN_CLUSTERS = 64;

const states = new BoundedLru<RoundRobinState>(ROUND_ROBIN_CLUSTERS);

/** The rotation state of `clusterId` (created on first use; using it makes it the newest). */
export function roundRobinStateOf(clusterId: string): RoundRobinState {
  const state = states.get(clusterId) ?? newRoundRobinState();
  states.set(clusterId, state);
  return state;
}
