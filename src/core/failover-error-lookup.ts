/**
 * Finds aurora-ha's failover outcome errors inside the wrappers ORMs put around driver errors:
 * `cause` (standard), `original` / `parent` (Sequelize), `driverError` (TypeORM), and Knex /
 * Kysely / Drizzle's `cause`. Bounded depth and cycle-safe; an error from another copy of
 * aurora-ha (ESM next to CommonJS) is recognised by its name and code. Some wrappers rebuild
 * the error and keep only its `code` (Prisma's driver adapters: `PrismaClientKnownRequestError`
 * with `code: 'FAILOVER_SUCCESS'`, no cause): `isFailoverError` / `isRecoveredFailover` also
 * accept our codes there, where `findFailoverError` has no instance to return.
 */
import { FailoverError } from './errors.js';

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

/** Visit `err` and the errors it wraps, breadth first, until `visit` returns a value. */
function searchWrapped<T>(err: unknown, visit: (x: object) => T | undefined): T | undefined {
  const seen = new Set<object>();
  let level: unknown[] = [err];
  for (let depth = 0; depth <= MAX_WRAPPER_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const x of level) {
      if (typeof x !== 'object' || x === null || seen.has(x)) continue;
      seen.add(x);
      const found = visit(x);
      if (found !== undefined) return found;
      for (const key of WRAPPED_ERROR_KEYS) next.push(readKey(x, key));
    }
    level = next;
  }
  return undefined;
}

const OUR_CODES: ReadonlySet<string> = new Set(Object.values(CODE_BY_NAME));

/** Our outcome code, from our error or from a wrapper that kept only the code. */
function failoverCodeIn(err: unknown): string | undefined {
  return searchWrapped(err, (x) => {
    if (isOurs(x)) return x.code;
    const code = readKey(x, 'code');
    return typeof code === 'string' && OUR_CODES.has(code) ? code : undefined;
  });
}

/**
 * The first failover outcome error (FailoverSuccessError, TransactionResolutionUnknownError,
 * FailoverFailedError) found in `err` or the errors it wraps, breadth first; undefined if none.
 */
export function findFailoverError(err: unknown): FailoverError | undefined {
  return searchWrapped(err, (x) => (isOurs(x) ? x : undefined));
}

/** Whether `err` is, or wraps, one of aurora-ha's failover outcome errors (or carries its code). */
export function isFailoverError(err: unknown): boolean {
  return failoverCodeIn(err) !== undefined;
}

/** Whether `err` is, or wraps, an outcome after which the connection works again (retry the statement or transaction). */
export function isRecoveredFailover(err: unknown): boolean {
  const code = failoverCodeIn(err);
  return code !== undefined && code !== 'FAILOVER_FAILED';
}
