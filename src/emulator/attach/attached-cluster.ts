/**
 * `attachedCluster()` (exported by `aurora-ha/emulator/attach`): the fault operations of the
 * cluster this process is attached to, run by the emulator through the control connection.
 * Each one resolves when the emulator's operation has (the same result, a JSON copy), and
 * rejects with an AuroraHaError carrying the emulator's error code and message
 * (EMULATOR_NOT_ATTACHED, EMULATOR_DISCONNECTED when the connection is not there).
 */
import type { FailoverOptions, InstanceEndpoint, PartitionMode } from '../types.js';
import { AuroraHaError } from '../../core/errors.js';
import { attachFromEnv } from './attach-client.js';
import type { ControlOp } from './protocol.js';

/** The operations of EmulatedCluster an attached process can drive (all asynchronous here). */
export interface AttachedCluster {
  failover(options?: FailoverOptions): Promise<{ newWriter: string }>;
  switchover(options?: { target?: string }): Promise<{ newWriter: string }>;
  crash(id: string): Promise<void>;
  reboot(id: string): Promise<void>;
  partition(id: string, options: { mode: PartitionMode }): Promise<void>;
  heal(id: string): Promise<void>;
  latency(id: string, ms: number): Promise<void>;
  hold(id: string): Promise<void>;
  release(id: string): Promise<void>;
  addReader(): Promise<InstanceEndpoint>;
  removeReader(id: string): Promise<void>;
  topology(): Promise<InstanceEndpoint[]>;
  settled(): Promise<void>;
}

/** The cluster this process is attached to (AURORA_HA_EMULATOR); see docs/emulator.md. */
export function attachedCluster(): AttachedCluster {
  const client = attachFromEnv();
  const call =
    <T>(op: ControlOp) =>
    async (...args: unknown[]): Promise<T> => {
      const outcome = await client.call(op, args);
      if (!outcome.ok) throw new AuroraHaError(outcome.code, outcome.message);
      return outcome.value as T;
    };
  const done =
    (op: ControlOp) =>
    async (...args: unknown[]): Promise<void> => {
      await call<unknown>(op)(...args);
    };
  const cluster = {
    failover: call<{ newWriter: string }>('failover'),
    switchover: call<{ newWriter: string }>('switchover'),
    crash: done('crash'),
    reboot: done('reboot'),
    partition: done('partition'),
    heal: done('heal'),
    latency: done('latency'),
    hold: done('hold'),
    release: done('release'),
    addReader: call<InstanceEndpoint>('addReader'),
    removeReader: done('removeReader'),
    topology: call<InstanceEndpoint[]>('topology'),
    settled: done('settled'),
  } satisfies Record<ControlOp, unknown>;
  return cluster;
}
