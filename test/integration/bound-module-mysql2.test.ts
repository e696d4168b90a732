/**
 * createDriver(options) of aurora-ha/mysql2 and aurora-ha/mysql2/promise against a real engine
 * (MariaDB through the emulator): the bound options drive the connections the module makes
 * (createConnection, createPool, the promise createConnection), and a config that names its own
 * option wins. Shown through the plugin list: a session killed while idle is a failover outcome
 * (`FailoverSuccessError`, statement never sent) with the failover plugin, mysql2's own error
 * with `plugins: []`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FailoverSuccessError, isFailoverError } from '../../src/index.js';
import { createDriver } from '../../src/mysql2.js';
import type { Connection } from '../../src/mysql2.js';
import { createDriver as createPromiseDriver } from '../../src/mysql2-promise.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';
import { secretLeaks } from '../support/secret-leaks.js';

const cluster = useCluster({ engine: 'mysql', instances: 1 });
const toEnd: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(toEnd.map((end) => end().catch(() => undefined)));
});

interface Queryable {
  query(sql: string): Promise<unknown>;
}

/** Kill `threadId`'s session from a plain connection of its own, then wait for the loss to arrive. */
async function kill(threadId: number): Promise<void> {
  const killer = await createPromiseDriver({ plugins: [] }).createConnection(mysqlConfig(cluster()));
  await killer.query(`KILL ${threadId}`);
  await killer.end();
  await new Promise((r) => setTimeout(r, 200));
}

/** The outcome of the next query after the session of `q` was killed while idle. */
async function afterIdleLoss(q: Queryable, threadId: () => number | null): Promise<unknown> {
  await q.query('SELECT 1');
  await kill(threadId()!);
  return q.query('SELECT 1').catch((e: unknown) => e);
}

/** A callback connection's query as a promise. */
function promised(c: Connection): Queryable {
  return {
    query: (sql) =>
      new Promise((resolve, reject) => {
        c.query(sql, (err: Error | null, rows?: unknown) => (err ? reject(err) : resolve(rows)));
      }),
  };
}

describe('createDriver of aurora-ha/mysql2: the bound options drive what the module makes', () => {
  it('createConnection: plugins bound to [] → mysql2 error; to failover → FailoverSuccessError', async () => {
    const bare = createDriver({ plugins: [] }).createConnection(mysqlConfig(cluster()));
    bare.on('error', () => undefined);
    toEnd.push(() => new Promise((r) => bare.end(() => r(undefined))));
    const raw = await afterIdleLoss(promised(bare), () => bare.threadId);
    expect(raw).toBeInstanceOf(Error);
    expect(isFailoverError(raw)).toBe(false);

    const failover = createDriver({ plugins: ['failover'] }).createConnection(mysqlConfig(cluster()));
    toEnd.push(() => new Promise((r) => failover.end(() => r(undefined))));
    const outcome = await afterIdleLoss(promised(failover), () => failover.threadId);
    expect(outcome).toBeInstanceOf(FailoverSuccessError);
    expect((outcome as FailoverSuccessError).statementSent).toBe(false);
  });

  it("a config's own plugins win over the bound ones", async () => {
    const c = createDriver({ plugins: [] }).createConnection({
      ...mysqlConfig(cluster()),
      plugins: ['failover'],
    });
    toEnd.push(() => new Promise((r) => c.end(() => r(undefined))));
    expect(await afterIdleLoss(promised(c), () => c.threadId)).toBeInstanceOf(FailoverSuccessError);
  });

  it('createPool: its connections use the bound plugins (a moved connection stays in the pool)', async () => {
    type Held = { threadId: number | null; release(): void };
    const outcome = async (plugins: string[]): Promise<{ same: boolean; result: unknown }> => {
      const pool = createDriver({ plugins }).createPool({ ...mysqlConfig(cluster()), connectionLimit: 1 });
      toEnd.push(() => new Promise((r) => pool.end(() => r(undefined))));
      const get = (): Promise<Held> =>
        new Promise((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
      const held = await get();
      const threadId = held.threadId!;
      held.release();
      await kill(threadId);
      // pool.query: retried once when the statement never reached a server (failover), or run
      // on a new connection after mysql2's 'error' removed the dead one (plugins: []).
      const result = await (pool.promise() as Queryable).query('SELECT 1 AS one');
      const again = await get();
      again.release();
      return { same: again === held, result };
    };
    const moved = await outcome(['failover']);
    expect(moved.result).toEqual([[{ one: 1 }], expect.anything()]);
    expect(moved.same).toBe(true);
    const replaced = await outcome([]);
    expect(replaced.result).toEqual([[{ one: 1 }], expect.anything()]);
    expect(replaced.same).toBe(false);
  });

  it('aurora-ha/mysql2/promise: createConnection with the bound plugins; a wrong password names no secret', async () => {
    const driver = createPromiseDriver({ plugins: ['failover'] });
    const conn = await driver.createConnection(mysqlConfig(cluster()));
    toEnd.push(() => conn.end());
    expect(await afterIdleLoss(conn, () => conn.threadId)).toBeInstanceOf(FailoverSuccessError);

    const secret = 'wrong-mysql-pw-7d1e';
    const err = await driver
      .createConnection({ ...mysqlConfig(cluster()), password: secret })
      .then((c) => c.end())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(secretLeaks(err, secret)).toEqual([]);
  });
});
