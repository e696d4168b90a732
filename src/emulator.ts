// Entry point of `aurora-ha/emulator`.
export * from './emulator/types.js';
export type { EmulatedEngine, EmulatedFlavor } from './emulator/engine.js';
