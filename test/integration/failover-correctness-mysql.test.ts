/**
 * Failover v1 on MariaDB must not move a healthy connection and must follow what the user
 * changed (issue 9). Each case is injected for real on the emulator: a slow query cut by
 * mysql2's per-query `timeout`, and the user's own changes to the session.
 */
import { readdirSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { metadataTableName } from '../../src/emulator/mysql/mysql-topology.js';
import { FailoverError, FailoverSuccessError } from '../../src/core/errors.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { secretLeaks } from '../support/secret-leaks.js';
import { clusterSubnet } from '../support/engine-processes.js';
import { FAST_FAILOVER as FAST, failoverHarness, rejection, writerId } from '../support/failover-harness.js';

const harness = failoverHarness<PromiseConnection>('mysql', 3);
const { cluster } = harness;

function client(host: string | undefined, options: Record<string, unknown> = {}): PromiseConnection {
  return harness.track(new PromiseConnection({ ...mysqlConfig(cluster(), host), ...FAST, ...options }));
}

async function value(c: PromiseConnection, sql: string): Promise<unknown> {
  const [r] = (await c.query(sql)) as [Record<string, unknown>[], unknown];
  return Object.values(r[0]!)[0];
}

describe('mysql2 per-query timeout is a slow query, not a dead host (item 2)', () => {
  it('the driver error, unchanged; the connection stays on the same instance', async () => {
    const c = client(undefined);
    await c.connect();
    const instance = await value(c, 'SELECT @@aurora_server_id');
    const started = Date.now();
    const err = await rejection(c.query({ sql: 'SELECT SLEEP(3)', timeout: 300 }));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(err).not.toBeInstanceOf(FailoverError);
    expect((err as { code?: string }).code).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
    expect(await value(c, 'SELECT @@aurora_server_id')).toBe(instance);
  });
});

describe("the user's own read-only transaction on a healthy writer is not a failover (item 1)", () => {
  it('SET SESSION TRANSACTION READ ONLY: the driver error, unchanged, on the same session, every time', async () => {
    const setup = client(undefined);
    await setup.connect();
    await setup.query('CREATE TABLE IF NOT EXISTS ro_guard (k VARCHAR(8) PRIMARY KEY)');
    await setup.end();
    const c = client(undefined);
    await c.connect();
    const session = await value(c, 'SELECT CONNECTION_ID()');
    await c.query('SET SESSION TRANSACTION READ ONLY');
    for (let i = 0; i < 3; i++) {
      const err = await rejection(c.query("INSERT INTO ro_guard VALUES ('x')"));
      expect(err).not.toBeInstanceOf(FailoverError);
      // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: the user's guard, reported as the driver reports it.
      expect((err as { errno?: number }).errno).toBe(1792);
      // Same session: the guard (and the rest of the session) is still in force.
      expect(await value(c, 'SELECT CONNECTION_ID()')).toBe(session);
    }
    await c.query('SET SESSION TRANSACTION READ WRITE');
    await c.query("INSERT IGNORE INTO ro_guard VALUES ('x')");
    expect(await value(c, 'SELECT CONNECTION_ID()')).toBe(session);
  });
});

describe('no password in errors from the engine paths (item 10)', () => {
  it('a refused login: no own property, cause or util.inspect output holds the password', async () => {
    const wrong = 'Wr0ngPassw0rdXyz';
    const bad = harness.track(new PromiseConnection({ ...mysqlConfig(cluster()), ...FAST, password: wrong }));
    const err = await rejection(bad.connect());
    expect((err as { errno?: number }).errno).toBe(1045);
    expect(secretLeaks(err, wrong)).toEqual([]);
  });
});

/** The admin sockets of the cluster's mariadbd processes (root over a unix socket only). */
function adminSockets(c: EmulatedCluster): string[] {
  const subnet = clusterSubnet(c);
  const out: string[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args[0]?.endsWith('mariadbd') || !args.some((a) => a.includes(subnet))) continue;
      const socket = args.find((a) => a.startsWith('--socket='));
      if (socket !== undefined) out.push(socket.slice('--socket='.length));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A second account on every instance (not replicated: each instance gets its own). */
async function createSecondUser(c: EmulatedCluster, user: string, password: string): Promise<void> {
  const sockets = adminSockets(c);
  expect(sockets.length).toBe(c.instances().filter((i) => i.role !== 'down').length);
  for (const socketPath of sockets) {
    const admin = await mysql.createConnection({ socketPath, user: 'root' });
    try {
      await admin.query('SET sql_log_bin = 0');
      await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, '%', password]);
      await admin.query(`GRANT SELECT ON \`${c.credentials.database}\`.* TO ?@?`, [user, '%']);
      // What failover needs to read the (emulated) Aurora metadata, as the test user has.
      await admin.query(`GRANT SELECT ON ${metadataTableName('aurora')} TO ?@?`, [user, '%']);
      await admin.query('GRANT SLAVE MONITOR ON *.* TO ?@?', [user, '%']);
    } finally {
      await admin.end();
    }
  }
}

describe('changeUser: failover follows the current credentials (item 4)', () => {
  it('after changeUser({ user }) a failover reconnects as that user, not the original one', async () => {
    const c0 = cluster();
    await createSecondUser(c0, 'second_user', 'Second-pw-123');
    const c = client(undefined);
    await c.connect();
    await c.changeUser({ user: 'second_user', password: 'Second-pw-123' });
    expect(await value(c, 'SELECT CURRENT_USER()')).toMatch(/^second_user@/);
    // The writer drops its connections and refuses for a moment; failover reconnects to it.
    const writer = writerId(c0);
    c0.partition(writer, { mode: 'reset' });
    setTimeout(() => c0.heal(writer), 500).unref();
    const err = await rejection(c.query('SELECT 1'));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await value(c, 'SELECT CURRENT_USER()')).toMatch(/^second_user@/);
  });
});

describe('keepSessionStateOnFailover restores what the server reported (item 3)', () => {
  /** The writer drops every connection and refuses for a moment: failover reconnects to it. */
  async function bounceWriter(c: PromiseConnection): Promise<unknown> {
    const c0 = cluster();
    const writer = writerId(c0);
    c0.partition(writer, { mode: 'reset' });
    setTimeout(() => c0.heal(writer), 500).unref();
    return rejection(c.query('SELECT 1'));
  }

  const settings: [string, string, string, unknown][] = [
    // [what, statement, query after failover, expected value]
    ['autocommit (server status flags)', 'SET autocommit = 0', 'SELECT @@session.autocommit', 0],
    ['time_zone (session tracking)', "SET time_zone = '+03:00'", 'SELECT @@session.time_zone', '+03:00'],
    ['schema (session tracking)', 'USE information_schema', 'SELECT DATABASE()', 'information_schema'],
  ];

  it.each(settings)('%s is restored on the new connection', async (_what, set, check, expected) => {
    const c = client(undefined, { keepSessionStateOnFailover: true });
    await c.connect();
    await c.query(set);
    const thread = c.threadId;
    const events: unknown[] = [];
    c.on('failover', (e: unknown) => events.push(e));
    expect(await bounceWriter(c)).toBeInstanceOf(FailoverSuccessError);
    expect(c.threadId).not.toBe(thread);
    // The documented 'failover' event fired once for the move (item 9).
    expect(events).toMatchObject([{ outcome: 'success' }]);
    expect(await value(c, check)).toBe(expected);
  });
});
