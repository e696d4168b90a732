/**
 * `createPoolCluster()` of `aurora-ha/mysql2`: mysql2's own PoolCluster (selectors, patterns,
 * namespaces, offline / remove bookkeeping, events) whose nodes are aurora-ha pools. mysql2
 * builds its node pools in `add()`, the one member replaced here. The promise flavour wraps
 * it in mysql2/promise's own PromisePoolCluster.
 */
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import type { PoolCluster as NativePoolClusterType, PoolClusterOptions } from 'mysql2';
import { Pool, PoolConfig } from './pool.js';
import type { AuroraPoolOptions } from './pool.js';
import { addPoolClusterNode } from '../../drivers/mysql2/internals.js';

type PoolClusterClass = new (config?: PoolClusterOptions) => Omit<NativePoolClusterType, 'add'>;

const NativePoolCluster = (mysql as unknown as { PoolCluster: PoolClusterClass }).PoolCluster;

export class PoolCluster extends NativePoolCluster {
  /** As mysql2's `add(id?, config)`, with an aurora-ha pool as the node. */
  add(id: string | AuroraPoolOptions, config?: string | AuroraPoolOptions): void {
    let nodeId: string | undefined;
    let nodeConfig: string | AuroraPoolOptions | undefined = config;
    if (typeof id === 'object') {
      nodeConfig = id;
      nodeId = undefined; // mysql2 numbers it
    } else {
      nodeId = id;
    }
    addPoolClusterNode(this, nodeId, () => new Pool({ config: new PoolConfig(nodeConfig ?? {}) }));
  }
}

export function createPoolCluster(config?: PoolClusterOptions): PoolCluster {
  return new PoolCluster(config);
}

type PromisePoolClusterClass = new (cluster: object, promiseImpl?: PromiseConstructor) => object;

let promiseClusterClass: PromisePoolClusterClass | undefined;

/** mysql2/promise's PromisePoolCluster class (not exported by mysql2: taken from an instance). */
function promisePoolClusterClass(): PromisePoolClusterClass {
  if (promiseClusterClass === undefined) {
    const probe = mysqlPromise.createPoolCluster() as unknown as {
      constructor: PromisePoolClusterClass;
      end(): Promise<void>;
    };
    promiseClusterClass = probe.constructor;
    void probe.end().catch(() => undefined);
  }
  return promiseClusterClass;
}

/** Like mysql2/promise's `createPoolCluster`. */
export function createPromisePoolCluster(
  config?: PoolClusterOptions & { Promise?: PromiseConstructor },
): object {
  const Cls = promisePoolClusterClass();
  const cluster = new PoolCluster(config);
  const wrapper = new Cls(cluster, config?.Promise ?? Promise) as Record<string, unknown>;
  // mysql2's wrapper calls mysql2's own PoolCluster.prototype.add: use ours instead.
  wrapper.add = (id: string | AuroraPoolOptions, c?: string | AuroraPoolOptions): void => cluster.add(id, c);
  return wrapper;
}
