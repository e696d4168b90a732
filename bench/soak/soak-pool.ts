/**
 * The soak's pool, engine-agnostic: aurora-ha's pg `Pool` or mysql2/promise `createPool`,
 * reduced to what the pool workers do — check a client out (its statements: a ledger insert,
 * a read, transaction begin / commit / rollback), give it back (removed from the pool when its
 * failover failed), a one-statement `pool.query` insert, and `end()`. Errors of the pool's own
 * checkout (opening a new connection failed) are remembered, so a `pool.query` that failed
 * before any statement ran is told apart from one whose statement failed. Host, port, database
 * and the login (auth.ts) come in `options`.
 */
import { FailoverFailedError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { createPool as createMysqlPool } from '../../src/mysql2-promise.js';
import { Pool } from '../../src/pg.js';
import { LEDGER_TABLE } from './ledger.js';
import { mysqlLedgerOps, pgLedgerOps } from './ledger-ops.js';

/** A checked-out client: the statements of the workload, then `release`. */
export interface SoakPooled {
  insert(key: string, worker: number): Promise<void>;
  read(): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Back to the pool; `err` (the call's error, if any) decides whether it stays (pool's rules). */
  release(err?: unknown): void;
}

export interface SoakPool {
  checkout(): Promise<SoakPooled>;
  /** `pool.query` insert: one statement on whatever pooled client is free. */
  insert(key: string, worker: number): Promise<void>;
  end(): Promise<void>;
  /** Pool `'error'` events (an idle client lost and not recovered). */
  errors: number;
  /** Whether `err` came from the pool's checkout (no connection could be opened), not from a statement. */
  checkoutFailed(err: unknown): boolean;
}

/** Errors the pools' checkouts raised (weak: nothing grows). */
const checkoutErrors = new WeakSet<object>();
function noteCheckoutError(err: unknown): void {
  if (typeof err === 'object' && err !== null) checkoutErrors.add(err);
}
function checkoutFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && checkoutErrors.has(err);
}

type Done = (err: Error | undefined | null, ...rest: unknown[]) => void;

/**
 * Route every checkout of `target` (also those `query` / `execute` make inside the pool)
 * through one that remembers its errors. `name` is pg-pool's `connect` or mysql2's
 * `getConnection`; the callback form is what both pools use internally.
 */
function tagCheckouts(target: object, name: 'connect' | 'getConnection'): void {
  const holder = target as Record<string, unknown>;
  const original = holder[name] as (cb?: Done) => unknown;
  holder[name] = function (this: unknown, cb?: Done): unknown {
    if (cb === undefined) {
      return (original.call(this) as Promise<unknown>).catch((err: unknown) => {
        noteCheckoutError(err);
        throw err;
      });
    }
    return original.call(this, (err, ...rest) => {
      if (err) noteCheckoutError(err);
      cb(err, ...rest);
    });
  };
}

/** The slice of mysql2/promise's pool and pool connection the soak uses. */
interface MysqlPromisePool {
  /** The callback pool mysql2's PromisePool wraps. */
  readonly pool: object;
  getConnection(): Promise<MysqlPromisePooled>;
  execute(sql: string, values: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface MysqlPromisePooled {
  execute(sql: string, values: unknown[]): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): void;
  destroy(): void;
}

export function openSoakPool(
  cluster: EmulatedCluster,
  options: Record<string, unknown>,
  size: number,
): SoakPool {
  if (cluster.engine === 'postgres') {
    const pool = new Pool({ max: size, connectionTimeoutMillis: 5000, ...options });
    tagCheckouts(pool, 'connect');
    const soak: SoakPool = {
      errors: 0,
      checkoutFailed,
      checkout: async () => {
        const client = await pool.connect();
        return {
          ...pgLedgerOps(client),
          // pg-pool's contract: an error given to release() removes the client; aurora-ha's Pool
          // keeps clients released with a failover outcome (they already moved).
          release: (err) => client.release(err instanceof Error ? err : undefined),
        };
      },
      insert: async (key, worker) => {
        await pool.query(`INSERT INTO ${LEDGER_TABLE} (k, worker) VALUES ($1, $2)`, [key, worker]);
      },
      end: () => pool.end(),
    };
    pool.on('error', () => {
      soak.errors++;
    });
    return soak;
  }
  const pool = createMysqlPool({
    connectionLimit: size,
    connectTimeout: 5000,
    ...options,
  }) as unknown as MysqlPromisePool;
  // mysql2's PromisePool wraps the callback pool (`.pool`), whose query / execute check out
  // through its own getConnection.
  tagCheckouts(pool.pool, 'getConnection');
  const soak: SoakPool = {
    errors: 0,
    checkoutFailed,
    checkout: async () => {
      const conn = await pool.getConnection();
      return {
        ...mysqlLedgerOps(conn),
        // A connection whose failover failed is unusable: it leaves the pool.
        release: (err) => (err instanceof FailoverFailedError ? conn.destroy() : conn.release()),
      };
    },
    insert: async (key, worker) => {
      await pool.execute(`INSERT INTO ${LEDGER_TABLE} (k, worker) VALUES (?, ?)`, [key, worker]);
    },
    end: () => pool.end(),
  };
  pool.on('error', () => {
    soak.errors++;
  });
  return soak;
}
