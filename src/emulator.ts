// Entry point of `aurora-ha/emulator`: start a cluster of real engines that behaves like Aurora.
export * from './emulator/types.js';
export type { EmulatedEngine, EmulatedFlavor } from './emulator/engine.js';
export { startCluster } from './emulator/start-cluster.js';
