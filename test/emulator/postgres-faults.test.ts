/**
 * Fault modes of the emulator's proxies and instance operations, seen by a plain `pg`
 * client through the instance names: blackhole (client times out), reset (ECONNRESET),
 * refuse (ECONNREFUSED), latency, heal; crash/reboot; addReader/removeReader.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AURORA_PG } from '../../src/dialects/sql.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'postgres', instances: 2 });

function client(host: string, extra: Partial<pg.ClientConfig> = {}): pg.Client {
  const c = new pg.Client({ ...pgConfig(cluster(), host), ...extra });
  c.on('error', () => undefined);
  return c;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null
    ? ((err as { code?: string }).code ?? (err as Error).message)
    : undefined;
}

function readerHost(): { id: string; host: string } {
  const r = cluster()
    .instances()
    .find((i) => i.role === 'reader');
  if (!r) throw new Error('no reader');
  return r;
}

describe('PostgreSQL emulator, faults', () => {
  it('refuse: new connections get ECONNREFUSED, existing ones are cut; heal restores', async () => {
    const c = cluster();
    const { id, host } = readerHost();
    const existing = client(host);
    await existing.connect();
    c.partition(id, { mode: 'refuse' });
    await expect(existing.query('SELECT 1')).rejects.toThrow();
    const fresh = client(host);
    await expect(fresh.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    c.heal(id);
    const again = client(host);
    await again.connect();
    expect((await again.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await again.end();
  });

  it('reset: connections are reset (ECONNRESET), new and existing', async () => {
    const c = cluster();
    const { id, host } = readerHost();
    const existing = client(host);
    await existing.connect();
    const seen: unknown[] = [];
    existing.on('error', (e) => seen.push(e));
    c.partition(id, { mode: 'reset' });
    await expect(existing.query('SELECT 1')).rejects.toThrow();
    const fresh = client(host);
    const err = await fresh.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorCode(err)).toBe('ECONNRESET');
    c.heal(id);
  });

  it('blackhole: accepted but silent, the client times out; heal lets traffic flow again', async () => {
    const c = cluster();
    const { id, host } = readerHost();
    const existing = client(host, { query_timeout: 500 });
    await existing.connect();
    c.partition(id, { mode: 'blackhole' });
    const started = Date.now();
    await expect(existing.query('SELECT 1')).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const fresh = client(host, { connectionTimeoutMillis: 500 });
    await expect(fresh.connect()).rejects.toThrow(/timeout/i);
    c.heal(id);
    const again = client(host);
    await again.connect();
    expect((await again.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await again.end();
    await existing.end().catch(() => undefined);
  });

  it('latency delays each round trip', async () => {
    const c = cluster();
    const { id, host } = readerHost();
    const conn = client(host);
    await conn.connect();
    c.latency(id, 150);
    const started = Date.now();
    await conn.query('SELECT 1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    c.heal(id);
    const t = Date.now();
    await conn.query('SELECT 1');
    expect(Date.now() - t).toBeLessThan(250); // well under one delayed round trip (300 ms), with room for a loaded CI machine
    await conn.end();
  });

  it('crash resets connections and refuses new ones; reboot brings the instance back with its role', async () => {
    const c = cluster();
    const { id, host } = readerHost();
    const existing = client(host);
    await existing.connect();
    await c.crash(id);
    expect(c.instances().find((i) => i.id === id)?.role).toBe('down');
    await expect(existing.query('SELECT 1')).rejects.toThrow();
    await expect(client(host).connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // With its only reader down, the writer still accepts writes (no synchronous wait forever).
    const w = client(c.writerEndpoint.host, { query_timeout: 5000 });
    await w.connect();
    await w.query('CREATE TABLE IF NOT EXISTS during_crash (v int); INSERT INTO during_crash VALUES (1)');
    await c.reboot(id);
    expect(c.instances().find((i) => i.id === id)?.role).toBe('reader');
    const back = client(host);
    await back.connect();
    expect((await back.query(AURORA_PG.isReader)).rows).toEqual([{ pg_is_in_recovery: true }]);
    await back.end();
    await w.end();
    expect(c.timeline().map((e) => e.kind)).toEqual(
      expect.arrayContaining(['instance-crashed', 'instance-rebooted']),
    );
  });

  it('addReader and removeReader change the topology the writer reports', async () => {
    const c = cluster();
    const added = await c.addReader();
    expect(added.role).toBe('reader');
    const conn = client(added.host);
    await conn.connect();
    expect((await conn.query(AURORA_PG.instanceId)).rows).toEqual([
      { aurora_db_instance_identifier: added.id },
    ]);
    await conn.end();
    const w = client(c.writerEndpoint.host);
    await w.connect();
    const ids = async (): Promise<string[]> =>
      ((await w.query(AURORA_PG.topology)).rows as { server_id: string }[]).map((r) => r.server_id).sort();
    expect(await ids()).toContain(added.id);
    await c.removeReader(added.id);
    expect(await ids()).not.toContain(added.id);
    expect(c.instances().map((i) => i.id)).not.toContain(added.id);
    await w.end();
  });
});

describe('PostgreSQL emulator, a writer lost before a failover', () => {
  it('comes back from reboot as a reader of the new writer, not as a second writer', async () => {
    const c = cluster();
    const old = c.instances().find((i) => i.role === 'writer');
    if (!old) throw new Error('no writer');
    await c.crash(old.id);
    // A bad target is refused before anything happens.
    await expect(c.failover({ target: old.id })).rejects.toThrow(/not a live reader/);
    await expect(c.failover({ target: 'instance-99' })).rejects.toThrow(/no instance/);
    const { newWriter } = await c.failover();
    expect(newWriter).not.toBe(old.id);
    await c.reboot(old.id);
    expect(c.instances().find((i) => i.id === old.id)?.role).toBe('reader');
    const conn = client(old.host);
    await conn.connect();
    expect((await conn.query(AURORA_PG.isReader)).rows).toEqual([{ pg_is_in_recovery: true }]);
    await conn.end();
    const w = client(c.writerEndpoint.host);
    await w.connect();
    expect((await w.query(AURORA_PG.instanceId)).rows).toEqual([
      { aurora_db_instance_identifier: newWriter },
    ]);
    await w.end();
  });
});
