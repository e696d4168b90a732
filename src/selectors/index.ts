/** Host selectors: the contract, the six strategies and the factory. */

export * from './host-selector.js';
export * from './random-selector.js';
export * from './round-robin-selector.js';
export * from './least-connections-selector.js';
export * from './highest-weight-selector.js';
export * from './weighted-random-selector.js';
export * from './fastest-response-selector.js';
export * from './create-selector.js';
