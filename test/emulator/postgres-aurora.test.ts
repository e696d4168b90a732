/**
 * The PostgreSQL emulator in the Aurora flavour, through plain `pg` and the emulator's names:
 * replication, Aurora's metadata SQL (src/dialects/sql.ts, unmodified, as the test user),
 * failover (stale reader topology, DNS lag, no acknowledged commit lost) and clean stop.
 */
import dns from 'node:dns';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AURORA_PG } from '../../src/dialects/sql.js';
import { pgConfig, startTestCluster, useCluster } from '../support/cluster.js';
import { clusterSubnet, engineProcesses } from '../support/engine-processes.js';

const DNS_LAG_MS = 1500;
const cluster = useCluster({ engine: 'postgres', instances: 3, dnsLagMs: DNS_LAG_MS });

async function withClient<T>(host: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(pgConfig(cluster(), host));
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function one<T>(host: string, sql: string): Promise<T[]> {
  return withClient(host, async (c) => (await c.query(sql)).rows as T[]);
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

describe('PostgreSQL emulator, Aurora flavour', () => {
  it('names resolve: writer endpoint to the writer, instances to their own addresses', async () => {
    const c = cluster();
    const writer = c.instances().find((i) => i.role === 'writer');
    expect(writer).toBeDefined();
    expect((await dns.promises.lookup(c.writerEndpoint.host)).address).toBe(writer?.address);
    for (const inst of c.instances()) {
      expect((await dns.promises.lookup(inst.host)).address).toBe(inst.address);
    }
    const readers = new Set(
      c
        .instances()
        .filter((i) => i.role === 'reader')
        .map((i) => i.address),
    );
    expect(readers.has((await dns.promises.lookup(c.readerEndpoint.host)).address)).toBe(true);
    expect(c.instanceHostPattern.startsWith('?.')).toBe(true);
  });

  it('replicates: a write on the writer is readable on every reader', async () => {
    const c = cluster();
    const marker = `m-${Date.now()}`;
    await withClient(c.writerEndpoint.host, async (w) => {
      await w.query('CREATE TABLE IF NOT EXISTS repl_check (v text)');
      await w.query('INSERT INTO repl_check VALUES ($1)', [marker]);
    });
    for (const inst of c.instances().filter((i) => i.role === 'reader')) {
      const rows = await eventually(
        () => one<{ v: string }>(inst.host, `SELECT v FROM repl_check WHERE v = '${marker}'`).catch(() => []),
        (r) => r.length === 1,
      );
      expect(rows).toEqual([{ v: marker }]);
      expect(await one(inst.host, AURORA_PG.isReader)).toEqual([{ pg_is_in_recovery: true }]);
    }
  });

  it("answers Aurora's metadata SQL per instance, as the test user, on writer and readers", async () => {
    const c = cluster();
    const writerId = c.instances().find((i) => i.role === 'writer')?.id;
    for (const inst of c.instances()) {
      expect(await one(inst.host, AURORA_PG.detect)).toEqual([{ '?column?': true }]);
      expect(await one(inst.host, AURORA_PG.instanceId)).toEqual([
        { aurora_db_instance_identifier: inst.id },
      ]);
      const topology = await eventually(
        () => one<{ server_id: string; is_writer: boolean }>(inst.host, AURORA_PG.topology),
        (rows) => rows.length === 3,
      );
      expect(topology.map((r) => r.server_id).sort()).toEqual(
        c
          .instances()
          .map((i) => i.id)
          .sort(),
      );
      expect(topology.filter((r) => r.is_writer).map((r) => r.server_id)).toEqual([writerId]);
      const writerCheck = await one<{ server_id: string }>(inst.host, AURORA_PG.writerCheck);
      expect(writerCheck).toEqual(inst.id === writerId ? [{ server_id: inst.id }] : []);
    }
    const superuser = await one<{ rolsuper: boolean }>(
      c.writerEndpoint.host,
      'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
    );
    expect(superuser).toEqual([{ rolsuper: false }]);
  });

  it('fails over: no acknowledged commit lost, new writer knows first, DNS follows after the lag', async () => {
    const c = cluster();
    const oldWriter = c.instances().find((i) => i.role === 'writer');
    if (!oldWriter) throw new Error('no writer');
    await withClient(oldWriter.host, (w) => w.query('CREATE TABLE IF NOT EXISTS acked (id int PRIMARY KEY)'));

    // Writes keep going on the old writer while it dies; every acknowledged id must survive.
    const acked: number[] = [];
    const writer = new pg.Client(pgConfig(c, oldWriter.host));
    writer.on('error', () => undefined);
    await writer.connect();
    let stop = false;
    const load = (async () => {
      for (let id = 1; !stop; id++) {
        try {
          await writer.query('INSERT INTO acked VALUES ($1)', [id]);
          acked.push(id);
        } catch {
          return;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const { newWriter } = await c.failover();
    stop = true;
    await load;
    await writer.end().catch(() => undefined);
    expect(newWriter).not.toBe(oldWriter.id);
    expect(acked.length).toBeGreaterThan(0);

    const newHost = c.instances().find((i) => i.id === newWriter)?.host as string;
    // The new writer reports itself as writer at once.
    expect(await one(newHost, AURORA_PG.writerCheck)).toEqual([{ server_id: newWriter }]);
    expect(await one(newHost, AURORA_PG.isReader)).toEqual([{ pg_is_in_recovery: false }]);

    // The cluster endpoint still points at the old writer until the DNS lag has passed.
    if (Date.now() - started < DNS_LAG_MS - 200) {
      expect((await dns.promises.lookup(c.writerEndpoint.host)).address).toBe(oldWriter.address);
    }
    const newAddress = c.instances().find((i) => i.id === newWriter)?.address;
    const resolved = await eventually(
      async () => (await dns.promises.lookup(c.writerEndpoint.host)).address,
      (a) => a === newAddress,
      DNS_LAG_MS + 2000,
    );
    expect(resolved).toBe(newAddress);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DNS_LAG_MS - 50);

    const survived = await one<{ id: number }>(newHost, 'SELECT id FROM acked');
    const present = new Set(survived.map((r) => r.id));
    expect(acked.filter((id) => !present.has(id))).toEqual([]);

    // Background recovery: the other reader follows the new writer, the old writer returns as a reader.
    await c.settled();
    expect(c.instances().find((i) => i.id === oldWriter.id)?.role).toBe('reader');
    const kinds = c.timeline().map((e) => e.kind);
    for (const kind of [
      'writer-lost',
      'promoted',
      'dns-switched',
      'reader-repointed',
      'old-writer-back',
    ] as const) {
      expect(kinds).toContain(kind);
    }
    for (const inst of c.instances()) {
      const view = await eventually(
        () => one<{ server_id: string; is_writer: boolean }>(inst.host, AURORA_PG.topology),
        (rows) => rows.some((r) => r.is_writer && r.server_id === newWriter),
      );
      expect(view.filter((r) => r.is_writer).map((r) => r.server_id)).toContain(newWriter);
      const rows = await eventually(
        () => one<{ n: string }>(inst.host, 'SELECT count(*) AS n FROM acked'),
        (r) => Number(r[0]?.n) >= acked.length,
      );
      expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(acked.length);
    }
  });

  it('stop() right after failover() leaves no engine behind (the old writer is still being rebuilt)', async () => {
    const c = await startTestCluster({ engine: 'postgres', instances: 3 });
    const subnet = clusterSubnet(c);
    await c.failover();
    await c.stop();
    // A rebuild that outlived stop() would start its server a moment later: give it that moment.
    await new Promise((r) => setTimeout(r, 2000));
    expect(engineProcesses(subnet, c.writerEndpoint.port)).toEqual([]);
  });

  it('stop() leaves no engine process and no temp dir', async () => {
    const c = cluster();
    const subnet = clusterSubnet(c);
    const before = engineProcesses(subnet, c.writerEndpoint.port);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const dataDir = /-D (\S+)/.exec(before[0]?.cmdline ?? '')?.[1] as string;
    const workDir = dirname(dirname(dataDir));
    expect(existsSync(workDir)).toBe(true);
    await c.stop();
    expect(engineProcesses(subnet, c.writerEndpoint.port)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
    await expect(dns.promises.lookup(c.writerEndpoint.host)).rejects.toThrow();
  });
});
