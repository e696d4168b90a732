/**
 * The `roundRobin` rotation of each cluster in this process, so that successive connections
 * (and failovers) of a cluster take turns instead of each starting its own rotation. A state is
 * two fields; the map keeps the most recently used clusters only (bounded, never grows with
 * connections), so a cluster's rotation survives moments when it has no open connection.
 */

import { newRoundRobinState, type RoundRobinState } from './round-robin-selector.js';

/** Upper bound on remembered clusters; the least recently used one is forgotten first. */
export const ROUND_ROBIN_CLUSTERS = 64;

const states = new Map<string, RoundRobinState>();

/** The rotation state of `clusterId` (created on first use). */
export function roundRobinStateOf(clusterId: string): RoundRobinState {
  let state = states.get(clusterId);
  if (state === undefined) state = newRoundRobinState();
  else states.delete(clusterId);
  states.set(clusterId, state);
  while (states.size > ROUND_ROBIN_CLUSTERS) {
    const oldest = states.keys().next().value;
    if (oldest === undefined) break;
    states.delete(oldest);
  }
  return state;
}
