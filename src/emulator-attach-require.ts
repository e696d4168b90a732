/**
 * Entry point of `node --require aurora-ha/emulator/attach` (CommonJS): attaches this process
 * to the emulated cluster at `AURORA_HA_EMULATOR=host:port` (docs/emulator.md, *Attach another
 * process*). A preloaded CommonJS module cannot wait: the names resolve once the first table
 * has arrived, a few milliseconds after start (the ESM entry, emulator-attach.ts, waits).
 * `attachedCluster()` drives the cluster's faults from this process.
 */
export { attachedCluster, type AttachedCluster } from './emulator/attach/attached-cluster.js';
import { attachFromEnv } from './emulator/attach/attach-client.js';

attachFromEnv();
