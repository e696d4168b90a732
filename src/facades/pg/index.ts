/**
 * The `aurora-ha/pg` module: pg's module with our Client and Pool. Every other member of pg's
 * module (types, defaults, escaping, Query, DatabaseError, TypeOverrides, Connection, Result,
 * utils, ...) is pg's own object, so ORMs taking a custom pg module find what they expect.
 */
import pg from 'pg';
import { Client } from './client.js';
import { Pool } from './pool.js';
import { bindPgModule } from './bound-module.js';
import { pgModulePools } from '../../drivers/pg/internals.js';
import type { BoundPgModule } from './bound-module.js';
import type { WrapperOptions } from '../../core/wrapper-options.js';

export { Client, Pool };
export type { AuroraClientConfig } from './client.js';
export type { AuroraPoolClient, AuroraPoolConfig } from './pool.js';

const pgModule = pg as unknown as Record<string, unknown>;

export const types = pg.types;
export const DatabaseError = pg.DatabaseError;
export const defaults = pg.defaults;
export const escapeIdentifier = pg.escapeIdentifier;
export const escapeLiteral = pg.escapeLiteral;
export const Query = pg.Query;
/** pg's TypeOverrides class (typed loosely: @types/pg declares it through an import-equals). */
export const TypeOverrides = pgModule.TypeOverrides as new (types?: unknown) => {
  setTypeParser(oid: number, format: unknown, parse?: unknown): void;
  getTypeParser(oid: number, format?: unknown): unknown;
};
export const Connection = pgModule.Connection as new (config?: unknown) => NodeJS.EventEmitter;
export const Result = pgModule.Result as new (rowMode?: unknown, types?: unknown) => unknown;
export const utils = pgModule.utils;
export const _pools = pgModulePools(pgModule);

/** The default export: pg's module members (enumerable ones, as pg lists them), ours for Client and Pool. */
export interface AuroraPgModule {
  Client: typeof Client;
  Pool: typeof Pool;
  Query: typeof Query;
  types: typeof types;
  DatabaseError: typeof DatabaseError;
  defaults: typeof defaults;
  escapeIdentifier: typeof escapeIdentifier;
  escapeLiteral: typeof escapeLiteral;
  TypeOverrides: typeof TypeOverrides;
  Connection: typeof Connection;
  Result: typeof Result;
  utils: unknown;
  _pools: unknown[];
  /** This module with aurora-ha options bound (see createDriver). */
  createDriver(options?: WrapperOptions): BoundPgModule<AuroraPgModule>;
}

/**
 * This module with aurora-ha options bound: its Client and Pool merge `options` under the config
 * they get (the config's own options win). For ORMs that filter the config they pass to the
 * driver, e.g. Sequelize's `dialectModule: createDriver({ plugins: ['failover2'] })`.
 */
export function createDriver(options?: WrapperOptions): BoundPgModule<AuroraPgModule> {
  return bindPgModule(auroraPg, options);
}

const auroraPg = Object.assign({}, pg, { Client, Pool, Query, createDriver }) as unknown as AuroraPgModule;
export default auroraPg;
