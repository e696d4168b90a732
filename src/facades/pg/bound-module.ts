/**
 * `createDriver(options)` of `aurora-ha/pg`: the `aurora-ha/pg` module with aurora-ha options
 * bound (see ../bound-options.ts). Its `Client` and `Pool` merge the bound options under the
 * config they are constructed with; every other member (types, defaults, escaping, Query, ...)
 * is the module's own, i.e. pg's. For ORMs that take a pg module and filter the config they
 * pass to it: Sequelize's `dialectModule`, TypeORM's `driver`.
 */
import type { WrapperOptions } from '../../core/wrapper-options.js';
import { bindOptions, withBound } from '../bound-options.js';
import { Client } from './client.js';
import type { AuroraClientConfig } from './client.js';
import { Pool } from './pool.js';
import type { AuroraPoolConfig } from './pool.js';

/** The shape of a bound module: the base module's, with its `createDriver`. */
export type BoundPgModule<M> = M & { createDriver(options?: WrapperOptions): BoundPgModule<M> };

/**
 * A copy of `base` (the `aurora-ha/pg` module) whose Client and Pool use `options`.
 * `createDriver(more)` on it binds both (`more` wins).
 */
export function bindPgModule<M extends { Client: typeof Client; Pool: typeof Pool }>(
  base: M,
  options?: WrapperOptions,
): BoundPgModule<M> {
  const bound = bindOptions('postgres', options);

  class BoundClient extends base.Client {
    constructor(config?: string | AuroraClientConfig) {
      super(withBound(bound, config) as AuroraClientConfig);
    }
  }
  Object.defineProperty(BoundClient, 'name', { value: 'Client' });

  class BoundPool extends base.Pool {
    constructor(config?: AuroraPoolConfig) {
      super(withBound(bound, config) as AuroraPoolConfig);
    }
  }
  Object.defineProperty(BoundPool, 'name', { value: 'Pool' });

  const module = {
    ...base,
    Client: BoundClient,
    Pool: BoundPool,
    createDriver: (more?: WrapperOptions): BoundPgModule<M> =>
      bindPgModule(base, withBound(bound, more ?? {}) as WrapperOptions),
  };
  return module;
}
