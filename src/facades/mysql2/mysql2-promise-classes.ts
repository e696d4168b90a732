/**
 * mysql2's own promise wrappers (`mysql2/promise`'s PromiseConnection, PromisePool,
 * PromisePoolConnection). They wrap any callback object with mysql2's callback API, so
 * wrapping aurora-ha's callback connections and pools with them gives the promise API
 * member for member, as mysql2 evolves it. `withSetReadOnly` adds aurora-ha's one member
 * mysql2 does not have (`setReadOnly`, readWriteSplitting) to such a wrapper.
 */
import mysqlPromise from 'mysql2/promise';

type Wrapper = new (inner: unknown, promiseImpl?: PromiseConstructor) => object;

interface PromiseModuleClasses {
  PromiseConnection: Wrapper;
  PromisePool: Wrapper;
  PromisePoolConnection: Wrapper;
}

const classes = mysqlPromise as unknown as PromiseModuleClasses;

export const MysqlPromiseConnection: Wrapper = classes.PromiseConnection;
export const MysqlPromisePool: Wrapper = classes.PromisePool;
export const MysqlPromisePoolConnection: Wrapper = classes.PromisePoolConnection;

/** What `setReadOnly` of a promise wrapper calls: the callback connection it wraps. */
interface ReadOnlySwitch {
  setReadOnly(readOnly: unknown, callback: (err: Error | null) => void): void;
}

/** Give mysql2's promise wrapper of one of our connections `setReadOnly(bool): Promise<void>` (own, non-enumerable). */
export function withSetReadOnly<T extends object>(wrapper: T): T {
  const inner = (wrapper as { connection?: unknown }).connection as Partial<ReadOnlySwitch> | undefined;
  if (typeof inner?.setReadOnly !== 'function') return wrapper;
  const target = inner as ReadOnlySwitch;
  Object.defineProperty(wrapper, 'setReadOnly', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: (readOnly: unknown): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        target.setReadOnly(readOnly, (err) => (err ? reject(err) : resolve()));
      }),
  });
  return wrapper;
}

/**
 * mysql2/promise's PromisePool whose `getConnection()` gives connections with `setReadOnly`
 * (aurora-ha's pools: createPool of aurora-ha/mysql2/promise, `pool.promise()`).
 */
export class ReadOnlyPromisePool extends (MysqlPromisePool as new (
  inner: unknown,
  promiseImpl?: PromiseConstructor,
) => {
  getConnection(): Promise<object>;
}) {
  override getConnection(): Promise<object> {
    return super.getConnection().then((c) => withSetReadOnly(c));
  }
}
