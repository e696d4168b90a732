/**
 * Idle loss (ARCHITECTURE.md › Idle loss) for failover v1 and v2, one body for both engines: a
 * socket lost while no call is in flight is only noted; the next call is NOT sent, runs the
 * failover and rejects with FailoverSuccessError / TransactionResolutionUnknownError marked
 * `statementSent: false` (and nothing it carried reaches any server), while a call that was sent
 * and then lost keeps `statementSent: true`. Tested at the logical connection, below the facades
 * (their `'error'` semantics are theirs): the move is seen by the connection observer that feeds
 * `'failover'`.
 */
import { expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { LogicalConnection } from '../../src/connection/logical-connection.js';
import {
  FailoverSuccessError,
  TransactionResolutionUnknownError,
  type FailoverError,
} from '../../src/core/errors.js';
import { mysql2Adapter } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { hostKey } from '../../src/drivers/host-info.js';
import { mysqlConfig, pgConfig } from './cluster.js';
import { FAST_FAILOVER, failoverHarness, rejection, type FailoverHarness } from './failover-harness.js';

type Engine = 'postgres' | 'mysql';

interface Sql {
  readonly instanceId: string;
  readonly isReader: string;
  readonly createTable: (name: string) => string;
  readonly sleep: (seconds: number) => string;
}

const SQL: Record<Engine, Sql> = {
  postgres: {
    instanceId: 'SELECT pg_catalog.aurora_db_instance_identifier()',
    isReader: 'SELECT pg_catalog.pg_is_in_recovery()',
    createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k text PRIMARY KEY)`,
    sleep: (s) => `SELECT pg_catalog.pg_sleep(${s})`,
  },
  mysql: {
    instanceId: 'SELECT @@aurora_server_id',
    isReader: 'SELECT @@read_only',
    createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (k varchar(64) PRIMARY KEY)`,
    sleep: (s) => `SELECT SLEEP(${s})`,
  },
};

/** One value of the first row. */
async function scalar(lc: LogicalConnection, sql: string): Promise<unknown> {
  const rows = await run(lc, sql);
  return rows[0]?.[0];
}

/** A call through the logical connection's pipeline, on whatever physical connection is current. */
function run(lc: LogicalConnection, sql: string): Promise<unknown[][]> {
  return lc.execute('query', () => {
    const conn = lc.current;
    if (conn === undefined) throw new Error('not connected');
    return conn.queryRows(sql);
  });
}

/** Wait (bounded) until the driver has reported the idle socket lost. */
async function lossSeen(lc: LogicalConnection): Promise<void> {
  const until = Date.now() + 15_000;
  while (lc.current?.closed !== true) {
    if (Date.now() > until) throw new Error('the socket loss was never seen');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The suite for both failover plugins on one engine (one shared cluster). */
export function idleLossSuite(engine: Engine): void {
  const harness = failoverHarness<LogicalConnection>(engine, 3);
  for (const plugin of ['failover', 'failover2'] as const) pluginCases(engine, plugin, harness);
}

function pluginCases(
  engine: Engine,
  plugin: 'failover' | 'failover2',
  harness: FailoverHarness<LogicalConnection>,
): void {
  const { cluster } = harness;
  const sql = SQL[engine];
  const table = `idle_${plugin}`;

  async function open(
    host?: string,
    options: Record<string, unknown> = {},
  ): Promise<{ lc: LogicalConnection; moves: string[] }> {
    const c = cluster();
    const base = engine === 'postgres' ? pgConfig(c, host) : mysqlConfig(c, host);
    const config = resolveConfig(engine, { ...base, ...FAST_FAILOVER, plugins: [plugin], ...options });
    const lc = harness.track(
      new LogicalConnection(
        config,
        engine === 'postgres' ? pgAdapter : mysql2Adapter,
        resolvePluginFactories(config.options.plugins),
      ),
    );
    await lc.open();
    const moves: string[] = [];
    lc.observe({
      connectionChanged: (conn, previous) => {
        if (previous !== undefined) moves.push(`${hostKey(previous.host)} -> ${hostKey(conn.host)}`);
      },
    });
    return { lc, moves };
  }

  async function writerWithTable(): Promise<{ lc: LogicalConnection; moves: string[]; id: string }> {
    const opened = await open();
    await run(opened.lc, sql.createTable(table));
    return { ...opened, id: String(await scalar(opened.lc, sql.instanceId)) };
  }

  function expectNotSent(
    err: unknown,
    type: typeof FailoverSuccessError | typeof TransactionResolutionUnknownError,
  ): void {
    expect(err).toBeInstanceOf(type);
    expect((err as FailoverError & { statementSent: boolean }).statementSent).toBe(false);
    expect((err as Error).cause).toBeDefined();
  }

  async function count(lc: LogicalConnection, key: string): Promise<number> {
    return Number(await scalar(lc, `SELECT count(*) FROM ${table} WHERE k = '${key}'`));
  }

  it(`${plugin}: writer socket lost while idle — the next INSERT is not sent, FailoverSuccessError statementSent false, the connection moved`, async () => {
    const { lc, moves, id } = await writerWithTable();
    expect(lc.recoversFromLoss()).toBe(true);
    cluster().partition(id, { mode: 'reset' });
    await lossSeen(lc);
    cluster().heal(id);
    const err = await rejection(run(lc, `INSERT INTO ${table} VALUES ('idle-insert')`));
    expectNotSent(err, FailoverSuccessError);
    expect(moves).toHaveLength(1);
    expect(String(await scalar(lc, sql.instanceId))).toBe(id);
    expect(await count(lc, 'idle-insert')).toBe(0);
    // Repeating the call is safe and works.
    await run(lc, `INSERT INTO ${table} VALUES ('idle-insert')`);
    expect(await count(lc, 'idle-insert')).toBe(1);
    await run(lc, `DELETE FROM ${table} WHERE k = 'idle-insert'`);
  });

  it(`${plugin}: lost while idle inside a transaction — TransactionResolutionUnknownError statementSent false, nothing of the transaction landed`, async () => {
    const { lc, id } = await writerWithTable();
    await run(lc, 'BEGIN');
    await run(lc, `INSERT INTO ${table} VALUES ('tx-before')`);
    cluster().partition(id, { mode: 'reset' });
    await lossSeen(lc);
    cluster().heal(id);
    const err = await rejection(run(lc, `INSERT INTO ${table} VALUES ('tx-after')`));
    expectNotSent(err, TransactionResolutionUnknownError);
    expect(await count(lc, 'tx-before')).toBe(0);
    expect(await count(lc, 'tx-after')).toBe(0);
  });

  it(`${plugin}: calls made together after an idle loss share one failover, all marked not sent`, async () => {
    const { lc, moves, id } = await writerWithTable();
    cluster().partition(id, { mode: 'reset' });
    await lossSeen(lc);
    cluster().heal(id);
    const outcomes = await Promise.allSettled([
      run(lc, 'SELECT 1'),
      run(lc, 'SELECT 2'),
      run(lc, 'SELECT 3'),
    ]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      if (o.status === 'rejected') expectNotSent(o.reason, FailoverSuccessError);
    }
    expect(moves).toHaveLength(1);
  });

  it(`${plugin}: a reader lost while idle (reader endpoint) — the next SELECT moves to another instance and is sent there (retryReadsOnFailover)`, async () => {
    const { lc, moves } = await open(cluster().readerEndpoint.host);
    const before = String(await scalar(lc, sql.instanceId));
    if (Number(await scalar(lc, sql.isReader)) !== 1)
      throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    await lossSeen(lc);
    // The SELECT's own answer names where it ran: the replacement, no error.
    const answeredBy = String(await scalar(lc, sql.instanceId));
    expect(answeredBy).not.toBe(before);
    expect(moves).toHaveLength(1);
    expect(String(await scalar(lc, sql.instanceId))).toBe(answeredBy);
  });

  it(`${plugin}: retryReadsOnFailover false — a reader lost while idle: the next SELECT moves to another instance, not sent`, async () => {
    const { lc, moves } = await open(cluster().readerEndpoint.host, { retryReadsOnFailover: false });
    const before = String(await scalar(lc, sql.instanceId));
    if (Number(await scalar(lc, sql.isReader)) !== 1)
      throw new Error('the reader endpoint led to the writer');
    cluster().partition(before, { mode: 'reset' });
    await lossSeen(lc);
    const err = await rejection(run(lc, 'SELECT 1'));
    expectNotSent(err, FailoverSuccessError);
    expect(moves).toHaveLength(1);
    expect(String(await scalar(lc, sql.instanceId))).not.toBe(before);
  });

  it(`${plugin}: a call sent and then lost keeps statementSent true`, async () => {
    const { lc, id } = await writerWithTable();
    const call = rejection(run(lc, sql.sleep(3)));
    // Give the statement time to reach the server, then cut the socket under it.
    await new Promise((r) => setTimeout(r, 500));
    cluster().partition(id, { mode: 'reset' });
    await lossSeen(lc);
    cluster().heal(id);
    const err = await call;
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect((err as FailoverSuccessError).statementSent).toBe(true);
  });
}
