/**
 * `end()` of `aurora-ha/mysql2` is mysql2's graceful end: statements queued before it run to
 * their end (COM_QUIT goes after them), however long they take; only the QUIT exchange itself
 * is bounded. A pool ended while its statements run lets them finish (mysql2's own suite,
 * test-pool-end). With `plugins: []` and the default plugins, on the emulator's MariaDB.
 */
import { describe, expect, it } from 'vitest';
import mysql from '../../src/mysql2.js';
import mysqlPromise from '../../src/mysql2-promise.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', instances: 1 });

/** Longer than the 1 s grace the QUIT exchange gets. */
const LONG = 'SELECT SLEEP(1.5) AS s';

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('end() lets running statements finish, with %s', (_label, options) => {
  it('connection: a statement running when end() is called still gets its result', async () => {
    const conn = mysql.createConnection({ ...mysqlConfig(cluster()), ...options });
    const order: string[] = [];
    const result = new Promise<unknown>((resolve, reject) =>
      conn.query(LONG, (err: Error | null, rows: unknown) => {
        order.push('result');
        if (err) reject(err);
        else resolve(rows);
      }),
    );
    await new Promise<void>((resolve) => conn.once('connect', () => resolve()));
    const ended = new Promise<void>((resolve, reject) =>
      conn.end((err) => {
        order.push('end');
        if (err) reject(err);
        else resolve();
      }),
    );
    expect(await result).toEqual([{ s: 0 }]);
    await ended;
    expect(order).toEqual(['result', 'end']);
  });

  it('promise pool with gracefulEnd: end() while statements run, they are fulfilled', async () => {
    const pool = mysqlPromise.createPool({
      ...mysqlConfig(cluster()),
      ...options,
      connectionLimit: 2,
      gracefulEnd: true,
    }) as { query(sql: string): Promise<unknown>; end(): Promise<void> };
    const running = [pool.query(LONG), pool.query(LONG)];
    // Both statements sent before the pool ends.
    await new Promise((r) => setTimeout(r, 500));
    await pool.end();
    const outcomes = await Promise.allSettled(running);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
  });
});
