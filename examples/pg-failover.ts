/**
 * Sample: handling the three failover errors with `aurora-ha/pg`, as docs/failover.md recommends.
 *
 *   npm run example:pg
 *
 * Starts a local emulated Aurora PostgreSQL cluster (3 instances, 10 s DNS lag), runs idempotent
 * money transfers through the writer cluster endpoint, kills the writer half-way, and checks that
 * no money was created or lost and that every transfer applied exactly once. Point `config` at
 * your own cluster endpoint to use the same code against Aurora.
 */
import { FailoverFailedError, FailoverSuccessError, TransactionResolutionUnknownError } from 'aurora-ha';
import { startCluster } from 'aurora-ha/emulator';
import { Client } from 'aurora-ha/pg';
import { driveThroughFailover } from './drive-through-failover.js';

const ACCOUNTS = 10;
const START_BALANCE = 1000;
const seen = { FailoverSuccessError: 0, TransactionResolutionUnknownError: 0 };

const cluster = await startCluster({ engine: 'postgres', instances: 3, dnsLagMs: 10_000 });
const config = { ...cluster.writerEndpoint, ...cluster.credentials, failoverTimeoutMs: 30_000 };
const client = new Client(config);

/** One statement: after a successful failover the same client points at the new writer, so repeat it. */
async function run(sql: string, values?: unknown[]) {
  for (;;) {
    try {
      return await client.query(sql, values);
    } catch (err) {
      if (err instanceof FailoverSuccessError) {
        seen.FailoverSuccessError++;
        continue; // session settings would be re-applied here if the application relied on any
      }
      throw err; // FailoverFailedError: this client is unusable; any other error is the application's
    }
  }
}

/** A transaction: restart it whole when its outcome is unknown; the transfer id makes a repeat harmless. */
async function transfer(id: number, from: number, to: number, amount: number): Promise<void> {
  for (;;) {
    try {
      await client.query('BEGIN');
      const fresh = await client.query('INSERT INTO transfers (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
      if (fresh.rowCount === 1) {
        await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
        await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
      }
      await client.query('COMMIT');
      return;
    } catch (err) {
      if (err instanceof TransactionResolutionUnknownError) seen.TransactionResolutionUnknownError++;
      else if (err instanceof FailoverSuccessError) seen.FailoverSuccessError++;
      else {
        if (!(err instanceof FailoverFailedError)) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  }
}

let exitCode = 1;
try {
  await client.connect();
  await run('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
  await run('CREATE TABLE transfers (id int PRIMARY KEY)');
  await run('INSERT INTO accounts SELECT g, $1 FROM generate_series(0, $2) g', [START_BALANCE, ACCOUNTS - 1]);

  const { steps: done, newWriter } = await driveThroughFailover(cluster, (i) =>
    transfer(i, i % ACCOUNTS, (i + 1) % ACCOUNTS, 1 + (i % 7)),
  );

  const total = (await run('SELECT sum(balance)::int AS total FROM accounts')).rows[0] as { total: number };
  const applied = (await run('SELECT count(*)::int AS n FROM transfers')).rows[0] as { n: number };
  const on = (await run('SELECT pg_catalog.aurora_db_instance_identifier() AS id')).rows[0] as { id: string };
  const summary = {
    transfers: done,
    applied: applied.n,
    total: total.total,
    expectedTotal: ACCOUNTS * START_BALANCE,
    newWriter,
    connectedTo: on.id,
    errorsHandled: seen,
  };
  console.log(JSON.stringify(summary));
  const ok = summary.applied === done && summary.total === summary.expectedTotal && on.id === newWriter;
  console.log(ok ? 'OK: every transfer applied once, no money lost, client on the new writer' : 'FAILED');
  exitCode = ok ? 0 : 1;
} finally {
  await client.end().catch(() => undefined);
  await cluster.stop();
}
process.exit(exitCode);
