/**
 * Builds the selector for a configured strategy name. Strategies that need run-time data take it
 * from `deps` (connection counts, response times, the cluster's round-robin state); a missing
 * dependency is a ConfigurationError naming the strategy. Connections get their selectors through
 * `readerSelection` (reader-selection.ts), which supplies every dependency.
 */

import type { HostSelectorStrategy } from '../core/wrapper-options.js';
import { ConfigurationError } from '../core/errors.js';
import { FastestResponseSelector, type ResponseTime } from './fastest-response-selector.js';
import { HighestWeightSelector } from './highest-weight-selector.js';
import type { HostSelector, RandomSource } from './host-selector.js';
import { LeastConnectionsSelector, type ConnectionCount } from './least-connections-selector.js';
import { RandomSelector } from './random-selector.js';
import { RoundRobinSelector, newRoundRobinState, type RoundRobinState } from './round-robin-selector.js';
import { WeightedRandomSelector } from './weighted-random-selector.js';

export interface SelectorDeps {
  random?: RandomSource;
  /** Per-cluster rotation state for `roundRobin` (a fresh one when omitted). */
  roundRobinState?: RoundRobinState;
  /** `roundRobinHostWeightPairs`: turns by instance name, host or host:port. */
  roundRobinHostWeights?: Readonly<Record<string, number>>;
  roundRobinDefaultWeight?: number;
  /** `weightedRandomHostWeightPairs`: chances by instance name, host or host:port. */
  weightedRandomHostWeights?: Readonly<Record<string, number>>;
  connectionCount?: ConnectionCount;
  responseTime?: ResponseTime;
  /** The option that named the strategy, for error messages. */
  option?: string;
}

function missing(strategy: HostSelectorStrategy, dep: string, option: string): never {
  throw new ConfigurationError(
    option,
    `Host selector strategy \`${strategy}\` needs ${dep}, which this connection does not provide.`,
  );
}

export function createSelector(strategy: HostSelectorStrategy, deps: SelectorDeps = {}): HostSelector {
  const random = deps.random ?? Math.random;
  const option = deps.option ?? 'failoverReaderHostSelectorStrategy';
  switch (strategy) {
    case 'random':
      return new RandomSelector(random);
    case 'roundRobin':
      return new RoundRobinSelector(
        deps.roundRobinState ?? newRoundRobinState(),
        deps.roundRobinHostWeights ?? {},
        deps.roundRobinDefaultWeight ?? 1,
      );
    case 'leastConnections':
      return new LeastConnectionsSelector(
        deps.connectionCount ?? missing(strategy, 'a connection counter', option),
      );
    case 'highestWeight':
      return new HighestWeightSelector();
    case 'weightedRandom':
      return new WeightedRandomSelector(deps.weightedRandomHostWeights ?? {}, random);
    case 'fastestResponse':
      return new FastestResponseSelector(
        deps.responseTime ?? missing(strategy, 'response-time measurements', option),
        random,
      );
  }
}
