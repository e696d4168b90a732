/**
 * Sample: handling the three failover errors with `aurora-ha/mysql2/promise`, as docs/failover.md
 * recommends.
 *
 *   npm run example:mysql
 *
 * Starts a local emulated Aurora MySQL cluster (MariaDB underneath; 3 instances, 10 s DNS lag), runs
 * idempotent order inserts with their stock update through the writer cluster endpoint, kills the
 * writer half-way, and checks that every order was applied exactly once and the stock adds up. Point
 * `config` at your own cluster endpoint to use the same code against Aurora.
 */
import { FailoverFailedError, FailoverSuccessError, TransactionResolutionUnknownError } from 'aurora-ha';
import { startCluster } from 'aurora-ha/emulator';
import mysql from 'aurora-ha/mysql2/promise';
import { driveThroughFailover } from './drive-through-failover.js';

const STOCK = 100_000;
const seen = { FailoverSuccessError: 0, TransactionResolutionUnknownError: 0 };

const cluster = await startCluster({ engine: 'mysql', instances: 3, dnsLagMs: 10_000 });
const config = { ...cluster.writerEndpoint, ...cluster.credentials, failoverTimeoutMs: 30_000 };
const conn = await mysql.createConnection(config);

/** One statement: after a successful failover the same connection points at the new writer, so repeat it. */
async function run<T>(sql: string, values?: unknown[]): Promise<T> {
  for (;;) {
    try {
      const [result] = await conn.query(sql, values);
      return result as T;
    } catch (err) {
      if (err instanceof FailoverSuccessError) {
        seen.FailoverSuccessError++;
        continue; // session settings would be re-applied here if the application relied on any
      }
      throw err; // FailoverFailedError: this connection is unusable; any other error is the application's
    }
  }
}

/** A transaction: restart it whole when its outcome is unknown; INSERT IGNORE on the order id makes a repeat harmless. */
async function placeOrder(id: number, quantity: number): Promise<void> {
  for (;;) {
    try {
      await conn.beginTransaction();
      const [fresh] = await conn.execute('INSERT IGNORE INTO orders (id, quantity) VALUES (?, ?)', [
        id,
        quantity,
      ]);
      if ((fresh as { affectedRows: number }).affectedRows === 1) {
        await conn.execute('UPDATE stock SET units = units - ? WHERE item = 1', [quantity]);
      }
      await conn.commit();
      return;
    } catch (err) {
      if (err instanceof TransactionResolutionUnknownError) seen.TransactionResolutionUnknownError++;
      else if (err instanceof FailoverSuccessError) seen.FailoverSuccessError++;
      else {
        if (!(err instanceof FailoverFailedError)) await conn.rollback().catch(() => undefined);
        throw err;
      }
    }
  }
}

let exitCode = 1;
try {
  await run('CREATE TABLE stock (item int PRIMARY KEY, units int NOT NULL)');
  await run('CREATE TABLE orders (id int PRIMARY KEY, quantity int NOT NULL)');
  await run('INSERT INTO stock VALUES (1, ?)', [STOCK]);

  let ordered = 0;
  const { steps: placed, newWriter } = await driveThroughFailover(cluster, async (i) => {
    const quantity = 1 + (i % 5);
    await placeOrder(i, quantity);
    ordered += quantity;
  });

  const [orders] = await run<{ n: number; total: number }[]>(
    'SELECT COUNT(*) AS n, CAST(SUM(quantity) AS SIGNED) AS total FROM orders',
  );
  const [stock] = await run<{ units: number }[]>('SELECT units FROM stock WHERE item = 1');
  const [on] = await run<{ id: string }[]>('SELECT @@aurora_server_id AS id');
  const summary = {
    orders: placed,
    applied: Number(orders!.n),
    unitsOrdered: Number(orders!.total),
    unitsLeft: stock!.units,
    expectedUnitsLeft: STOCK - ordered,
    newWriter,
    connectedTo: on!.id,
    errorsHandled: seen,
  };
  console.log(JSON.stringify(summary));
  const ok =
    summary.applied === placed && summary.unitsLeft === summary.expectedUnitsLeft && on!.id === newWriter;
  console.log(ok ? 'OK: every order applied once, stock adds up, connection on the new writer' : 'FAILED');
  exitCode = ok ? 0 : 1;
} finally {
  await conn.end().catch(() => undefined);
  await cluster.stop();
}
process.exit(exitCode);
