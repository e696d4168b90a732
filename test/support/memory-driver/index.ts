/** The in-memory driver for unit tests: a scripted cluster, its fake connections and adapter, and the wiring. */
export * from './cluster-script.js';
export * from './aurora-answers.js';
export * from './memory-connection.js';
export * from './memory-driver.js';
export * from './harness.js';
