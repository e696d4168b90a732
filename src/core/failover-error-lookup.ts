/**
 * Finds aurora-ha's failover outcome errors inside the wrappers ORMs put around driver errors:
 * `cause` (standard), `original` / `parent` (Sequelize), `driverError` (TypeORM), and Knex /
 * Kysely / Drizzle's `cause`. Bounded depth and cycle-safe; an error from another copy of
 * aurora-ha (ESM next to CommonJS) is recognised by its name and code.
 */
import { FailoverError, FailoverFailedError } from './errors.js';

/** Properties under which wrappers keep the error they wrap, in the order they are searched. */
export const WRAPPED_ERROR_KEYS = ['cause', 'original', 'parent', 'driverError'] as const;

/** How many wrappers deep the search goes. */
export const MAX_WRAPPER_DEPTH = 8;

const CODE_BY_NAME: Readonly<Record<string, string>> = {
  FailoverSuccessError: 'FAILOVER_SUCCESS',
  TransactionResolutionUnknownError: 'TRANSACTION_RESOLUTION_UNKNOWN',
  FailoverFailedError: 'FAILOVER_FAILED',
};

function isOurs(x: object): x is FailoverError {
  if (x instanceof FailoverError) return true;
  const { name, code } = x as { name?: unknown; code?: unknown };
  return typeof name === 'string' && CODE_BY_NAME[name] !== undefined && CODE_BY_NAME[name] === code;
}

function readKey(x: object, key: string): unknown {
  try {
    return (x as Record<string, unknown>)[key];
  } catch {
    return undefined; // a throwing getter is not a wrapped error
  }
}

/**
 * The first failover outcome error (FailoverSuccessError, TransactionResolutionUnknownError,
 * FailoverFailedError) found in `err` or the errors it wraps, breadth first; undefined if none.
 */
export function findFailoverError(err: unknown): FailoverError | undefined {
  const seen = new Set<object>();
  let level: unknown[] = [err];
  for (let depth = 0; depth <= MAX_WRAPPER_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const x of level) {
      if (typeof x !== 'object' || x === null || seen.has(x)) continue;
      seen.add(x);
      if (isOurs(x)) return x;
      for (const key of WRAPPED_ERROR_KEYS) next.push(readKey(x, key));
    }
    level = next;
  }
  return undefined;
}

/** Whether `err` is, or wraps, one of aurora-ha's failover outcome errors. */
export function isFailoverError(err: unknown): boolean {
  return findFailoverError(err) !== undefined;
}

/** Whether `err` is, or wraps, an outcome after which the connection works again (retry the statement or transaction). */
export function isRecoveredFailover(err: unknown): boolean {
  const e = findFailoverError(err);
  return e !== undefined && !(e instanceof FailoverFailedError) && e.name !== 'FailoverFailedError';
}
