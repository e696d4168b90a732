/**
 * What an attached process's `call` lines run (control-server.ts): the cluster's own fault
 * operations, so their option checks, errors and timeline are the same as in the emulator's
 * process. An instance id that is not a string is refused here, naming the operation.
 */
import { ConfigurationError } from '../../core/errors.js';
import type { EmulatedCluster, FailoverOptions, PartitionMode } from '../types.js';
import type { ControlDispatch } from './control-server.js';

export function dispatchTo(cluster: EmulatedCluster): ControlDispatch {
  return async (op, args) => {
    const id = (): string => {
      const value = args[0];
      if (typeof value !== 'string')
        throw new ConfigurationError('id', `${op}: the first argument must be an instance id (a string)`);
      return value;
    };
    // JSON turns an explicit `undefined` argument into null: both mean "no options".
    const options = <T>(): T | undefined => (args[0] ?? undefined) as T | undefined;
    switch (op) {
      case 'failover':
        return cluster.failover(options<FailoverOptions>());
      case 'switchover':
        return cluster.switchover(options<{ target?: string }>());
      case 'crash':
        return cluster.crash(id());
      case 'reboot':
        return cluster.reboot(id());
      case 'partition':
        return cluster.partition(id(), args[1] as { mode: PartitionMode });
      case 'heal':
        return cluster.heal(id());
      case 'latency':
        return cluster.latency(id(), args[1] as number);
      case 'hold':
        return cluster.hold(id());
      case 'release':
        return cluster.release(id());
      case 'addReader':
        return cluster.addReader();
      case 'removeReader':
        return cluster.removeReader(id());
      case 'topology':
        return cluster.topology();
      case 'settled':
        return cluster.settled();
    }
  };
}
