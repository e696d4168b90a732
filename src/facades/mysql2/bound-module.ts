/**
 * `createDriver(options)` of `aurora-ha/mysql2` and `aurora-ha/mysql2/promise`: the module
 * itself, with aurora-ha options bound (see ../bound-options.ts). Every member that takes a
 * connection config — createConnection / connect / createPool / createPoolCluster's `add`, their
 * *Promise variants, the Connection classes — merges the bound options under the config it is
 * given; every other member is the module's own. For ORMs that take a driver module and filter
 * the config they pass to it (Sequelize's `dialectModule`, TypeORM's `driver`, Knex).
 */
import type { WrapperOptions } from '../../core/wrapper-options.js';
import { bindOptions, isEmpty, withBound } from '../bound-options.js';
import type { BoundOptions } from '../bound-options.js';

/** Members called with a connection / pool config as their first argument. */
const CONFIG_FUNCTIONS = [
  'createConnection',
  'connect',
  'createPool',
  'createConnectionPromise',
  'createPoolPromise',
] as const;

/** Members returning a pool cluster, whose `add(id?, config)` takes the node's pool config. */
const CLUSTER_FUNCTIONS = ['createPoolCluster', 'createPoolClusterPromise'] as const;

/** Classes constructed with a connection config as their first argument. */
const CONFIG_CLASSES = ['Connection', 'PromiseConnection'] as const;

/** A bound module: the base module's shape, plus `createDriver` to bind more. */
export type BoundMysql2Module<M> = M & { createDriver(options?: WrapperOptions): BoundMysql2Module<M> };

type AnyFunction = (...args: unknown[]) => unknown;
type AnyClass = new (...args: unknown[]) => object;

function bindCluster(bound: BoundOptions, cluster: unknown): unknown {
  const c = cluster as { add?: AnyFunction } | null;
  if (c === null || typeof c !== 'object' || typeof c.add !== 'function') return cluster;
  const add = c.add.bind(c);
  Object.defineProperty(c, 'add', {
    configurable: true,
    writable: true,
    value: (id: unknown, config?: unknown): unknown =>
      typeof id === 'object' && id !== null ? add(withBound(bound, id)) : add(id, withBound(bound, config)),
  });
  return cluster;
}

/**
 * A copy of `base` (aurora-ha's mysql2 or mysql2/promise module) whose config-taking members
 * merge `options`. Its own `createDriver(more)` binds `options` and `more` (more wins).
 */
export function bindMysql2Module<M extends object>(base: M, options?: WrapperOptions): BoundMysql2Module<M> {
  const bound = bindOptions('mysql', options);
  const source = base as Record<string, unknown>;
  const module: Record<string, unknown> = { ...source };
  if (!isEmpty(bound)) {
    for (const name of CONFIG_FUNCTIONS) {
      const fn = source[name];
      if (typeof fn !== 'function') continue;
      const original = fn as AnyFunction;
      module[name] = (config: unknown, ...rest: unknown[]): unknown =>
        original(withBound(bound, config), ...rest);
    }
    for (const name of CLUSTER_FUNCTIONS) {
      const fn = source[name];
      if (typeof fn !== 'function') continue;
      const original = fn as AnyFunction;
      module[name] = (...args: unknown[]): unknown => bindCluster(bound, original(...args));
    }
    // One subclass per class (the promise module names one class twice: keep them identical).
    const subclasses = new Map<AnyClass, AnyClass>();
    for (const name of CONFIG_CLASSES) {
      const cls = source[name];
      if (typeof cls !== 'function') continue;
      const Base = cls as AnyClass;
      let Bound = subclasses.get(Base);
      if (Bound === undefined) {
        Bound = class extends Base {
          constructor(...args: unknown[]) {
            const [config, ...rest] = args;
            super(withBound(bound, config), ...rest);
          }
        };
        Object.defineProperty(Bound, 'name', { value: Base.name });
        subclasses.set(Base, Bound);
      }
      module[name] = Bound;
    }
  }
  module.createDriver = (more?: WrapperOptions): BoundMysql2Module<M> =>
    bindMysql2Module(base, withBound(bound, more ?? {}) as WrapperOptions);
  return module as BoundMysql2Module<M>;
}
