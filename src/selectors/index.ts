/** Host selectors: the contract, the six strategies, the factory and the per-cluster data they use. */

export * from './host-selector.js';
export * from './random-selector.js';
export * from './round-robin-selector.js';
export * from './least-connections-selector.js';
export * from './highest-weight-selector.js';
export * from './weighted-random-selector.js';
export * from './fastest-response-selector.js';
export * from './create-selector.js';
export * from './round-robin-states.js';
export * from './connection-counts.js';
export * from './response-times.js';
