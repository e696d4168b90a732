/**
 * Failover v1 on PostgreSQL must not move a healthy connection, must not hang and must not
 * leak (issue 9). Each case is injected for real on the emulator: the user's own read-only
 * settings on a healthy writer, a read-only error inside a failed transaction, a custom
 * domain / IP without an instance pattern, a blackholed instance during connect, LISTEN
 * across a failover.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  FailoverError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import { Client } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, rejection, writerId } from '../support/failover-harness.js';

const harness = failoverHarness<Client>('postgres', 3);
const { cluster } = harness;

function client(host: string | undefined, options: Record<string, unknown> = {}): Client {
  return harness.track(new Client({ ...pgConfig(cluster(), host), ...FAST, ...options }));
}

async function instanceId(c: Client): Promise<string> {
  const r = await c.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
  return r.rows[0]!.id;
}

async function table(name: string): Promise<void> {
  const setup = client(undefined);
  await setup.connect();
  await setup.query(`CREATE TABLE IF NOT EXISTS ${name} (k text PRIMARY KEY)`);
  await setup.end();
}

describe("read-only errors on a healthy writer are the user's, not a failover (item 1)", () => {
  it('default_transaction_read_only on the writer: the driver error, unchanged, on the same session, every time', async () => {
    await table('ro_guard');
    const c = client(undefined);
    await c.connect();
    const pid = c.processID;
    await c.query('SET default_transaction_read_only = on');
    for (let i = 0; i < 3; i++) {
      const err = await rejection(c.query("INSERT INTO ro_guard VALUES ('x')"));
      expect(err).not.toBeInstanceOf(FailoverError);
      expect((err as { code?: string }).code).toBe('25006');
      // Same backend: the user's guard (and the rest of the session) is still in force.
      expect(c.processID).toBe(pid);
    }
    await c.query('SET default_transaction_read_only = off');
    await c.query("INSERT INTO ro_guard VALUES ('x') ON CONFLICT DO NOTHING");
    expect(c.processID).toBe(pid);
  });

  it('SET TRANSACTION READ ONLY inside a transaction (failed transaction, 25P02 on the same session): unchanged', async () => {
    await table('ro_guard_tx');
    const c = client(undefined);
    await c.connect();
    const pid = c.processID;
    await c.query('BEGIN');
    await c.query('SET TRANSACTION READ ONLY');
    const err = await rejection(c.query("INSERT INTO ro_guard_tx VALUES ('x')"));
    expect(err).not.toBeInstanceOf(FailoverError);
    expect((err as { code?: string }).code).toBe('25006');
    expect(c.processID).toBe(pid);
    // The transaction is the user's to end; the session is the same.
    await c.query('ROLLBACK');
    await c.query("INSERT INTO ro_guard_tx VALUES ('x') ON CONFLICT DO NOTHING");
    expect(c.processID).toBe(pid);
  });

  it('a write inside a transaction on a real reader: confirmed through a separate connection, TransactionResolutionUnknownError', async () => {
    await table('ro_reader_tx');
    const c0 = cluster();
    const reader = c0.instances().find((i) => i.role === 'reader')!;
    const c = client(reader.host);
    await c.connect();
    await c.query('BEGIN');
    const err = await rejection(c.query("INSERT INTO ro_reader_tx VALUES ('x')"));
    expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
    expect(((err as FailoverError).cause as { code?: string }).code).toBe('25006');
    expect(await instanceId(c)).toBe(writerId(c0));
    await c.query("INSERT INTO ro_reader_tx VALUES ('x') ON CONFLICT DO NOTHING");
  });

  it('a write outside a transaction on a real reader still fails over (checked on the same session)', async () => {
    await table('ro_reader');
    const c0 = cluster();
    const reader = c0.instances().find((i) => i.role === 'reader')!;
    const c = client(reader.host);
    await c.connect();
    const err = await rejection(c.query("INSERT INTO ro_reader VALUES ('x')"));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(await instanceId(c)).toBe(writerId(c0));
  });
});

describe('Aurora through an IP address without clusterInstanceHostPattern (items 5, 6)', () => {
  it("enableFailover: false connects and queries (the error's own advice works)", async () => {
    const writer = cluster()
      .instances()
      .find((i) => i.role === 'writer')!;
    const c = client(writer.address, { enableFailover: false });
    await c.connect();
    expect(await instanceId(c)).toBe(writer.id);
  });

  it('connect failover from a refused IP: the configuration error, no unhandled rejection', async () => {
    const writer = cluster()
      .instances()
      .find((i) => i.role === 'writer')!;
    // Another connection of this process detected the dialect of this address (cached).
    // (Before item 5 was fixed this connect failed after detection; the cache was filled all the same.)
    const first = client(writer.address, { enableFailover: false });
    await first.connect().catch(() => undefined);
    await first.end();
    cluster().partition(writer.id, { mode: 'refuse' });
    const c = client(writer.address, { enableConnectFailover: true });
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('clusterInstanceHostPattern');
    // Let a floating rejection (if any) reach the strict unhandled-rejection handler.
    await new Promise((r) => setTimeout(r, 200));
  });
});
