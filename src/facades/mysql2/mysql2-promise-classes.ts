/**
 * mysql2's own promise wrappers (`mysql2/promise`'s PromiseConnection, PromisePool,
 * PromisePoolConnection). They wrap any callback object with mysql2's callback API, so
 * wrapping aurora-ha's callback connections and pools with them gives the promise API
 * member for member, as mysql2 evolves it.
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
