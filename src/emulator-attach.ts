/**
 * Entry point of `node --import aurora-ha/emulator/attach` (ESM): attaches this process to the
 * emulated cluster at `AURORA_HA_EMULATOR=host:port` so its Aurora names resolve here
 * (docs/emulator.md, *Attach another process*), and waits up to ATTACH_WAIT_MS for the first
 * name table so the application's first connection already resolves. `attachedCluster()`
 * drives the cluster's faults from this process.
 */
export { attachedCluster, type AttachedCluster } from './emulator/attach/attached-cluster.js';
import { attachFromEnv, ENV_VAR } from './emulator/attach/attach-client.js';

const ATTACH_WAIT_MS = 2_000;

const client = attachFromEnv();
if (!(await client.whenAttached(ATTACH_WAIT_MS)))
  process.emitWarning(
    `no emulated cluster answered at ${process.env[ENV_VAR] ?? ''} within ${ATTACH_WAIT_MS} ms; its names answer ENOTFOUND until it does (retrying in the background)`,
    { code: 'AURORA_HA_EMULATOR' },
  );
