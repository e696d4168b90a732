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
/** The pool's statements: long enough to still run after the server has been seen running them. */
const POOL_LONG = 'SELECT SLEEP(3) AS s';

/** Resolves once `n` of POOL_LONG run on the server (asked through a separate raw connection). */
async function untilRunning(n: number): Promise<void> {
  const admin = await mysqlPromise.createConnection({ ...mysqlConfig(cluster()), plugins: [] });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [rows] = (await admin.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(3) AS s'",
      )) as unknown as [{ n: number | string }[]];
      if (Number(rows[0]?.n) >= n) return;
      if (Date.now() > deadline) throw new Error(`${n} statements not running after 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await admin.end();
  }
}

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
    const running = [pool.query(POOL_LONG), pool.query(POOL_LONG)];
    // Both statements running on the server before the pool ends (seen there, not assumed after
    // a fixed delay: under load the two connects alone can take longer than any fixed guess).
    await untilRunning(2);
    await pool.end();
    const outcomes = await Promise.allSettled(running);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
  });
});
