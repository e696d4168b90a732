/**
 * The initialConnection emulator suite, run by one test file per engine: new connections through
 * the writer cluster endpoint during a 60 s DNS lag after failover (warm and cold process), the
 * reader strategies through the reader cluster endpoint (exact shares, not just "it connected"),
 * the writer only when no reader is left, and the open bounded by openConnectionRetryTimeoutMs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableHostError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { liveResponseMonitors, measuredResponseTimes } from '../../src/selectors/response-times.js';
import { startTestCluster } from './cluster.js';
import { expectNoSessionsLeft, rejection } from './failover-harness.js';
import {
  auroraClusterId,
  createWritesTable,
  openAurora,
  openPlain,
  tally,
  type TestConnection,
} from './initial-connection-clients.js';

const DNS_LAG_MS = 60_000;
const NEW_CONNECTIONS = 50;

async function endAll(conns: readonly TestConnection[]): Promise<void> {
  await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
}

/** Open `n` connections at once with `open`; all of them, or the first failure. */
async function openMany(n: number, open: () => Promise<TestConnection>): Promise<TestConnection[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, () => open()));
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await endAll(ok);
    throw failed.reason;
  }
  return ok;
}

function readerIds(c: EmulatedCluster): string[] {
  return c
    .instances()
    .filter((i) => i.role === 'reader')
    .map((i) => i.id)
    .sort();
}

async function withCluster(
  engine: 'postgres' | 'mysql',
  options: { instances: number; dnsLagMs?: number },
  body: (c: EmulatedCluster) => Promise<void>,
): Promise<void> {
  const c = await startTestCluster({ engine, ...options });
  try {
    await body(c);
    await expectNoSessionsLeft(c);
  } finally {
    await c.stop();
  }
}

/**
 * 50 new aurora-ha connections through the writer endpoint while DNS still names the old
 * writer: every one is on the new writer and its first statement, a write, succeeds. Also
 * shows the lag is real: a plain driver connection through the same name does not get a writer.
 */
async function expectNewConnectionsOnNewWriter(c: EmulatedCluster, newWriter: string): Promise<void> {
  const failedOverAt = Date.now();
  const plain = await openPlain(c, c.writerEndpoint.host).then(
    async (p) => {
      try {
        await p.write(-1);
        return 'wrote';
      } catch {
        return 'write refused';
      } finally {
        await p.end().catch(() => undefined);
      }
    },
    () => 'connect refused',
  );
  expect(plain).not.toBe('wrote');

  // 50 opens at once on a loaded 2-core machine: the bound is raised (it stays under the DNS lag),
  // what is tested is where they land and that their first write works.
  const conns = await openMany(NEW_CONNECTIONS, () =>
    openAurora(c, c.writerEndpoint.host, { openConnectionRetryTimeoutMs: 55_000 }),
  );
  try {
    const writes = await Promise.allSettled(conns.map((conn, i) => conn.write(i)));
    expect(writes.filter((w) => w.status === 'rejected')).toEqual([]);
    const ids = await Promise.all(conns.map((conn) => conn.instanceId()));
    expect(tally(ids)).toEqual({ [newWriter]: NEW_CONNECTIONS });
  } finally {
    await endAll(conns);
  }
  // All of it happened while DNS still pointed at the old writer.
  expect(Date.now() - failedOverAt).toBeLessThan(DNS_LAG_MS);
  expect(c.timeline().filter((e) => e.kind === 'dns-switched' && e.at >= failedOverAt)).toEqual([]);
}

export function initialConnectionSuite(engine: 'postgres' | 'mysql'): void {
  describe(`initialConnection, writer cluster endpoint, DNS lag ${DNS_LAG_MS / 1000} s (${engine})`, () => {
    it(
      'warm process: 50 new connections after failover all land on the new writer, no first write fails',
      { retry: 1, timeout: 120_000 },
      async () => {
        await withCluster(engine, { instances: 3, dnsLagMs: DNS_LAG_MS }, async (c) => {
          await createWritesTable(c);
          // A live connection makes this process "warm": it holds the cluster's topology.
          const warm = await openAurora(c, c.writerEndpoint.host);
          try {
            const { newWriter } = await c.failover();
            await expectNewConnectionsOnNewWriter(c, newWriter);
          } finally {
            await warm.end();
          }
        });
      },
    );

    it(
      'cold process, old writer back as a reader behind the writer endpoint: all 50 on the new writer',
      { retry: 1, timeout: 120_000 },
      async () => {
        await withCluster(engine, { instances: 3, dnsLagMs: DNS_LAG_MS }, async (c) => {
          await createWritesTable(c);
          const { newWriter } = await c.failover();
          // The old writer is back as a reader; DNS still sends the writer endpoint to it.
          await c.settled();
          expect(c.instances().filter((i) => i.role === 'reader')).toHaveLength(2);
          await expectNewConnectionsOnNewWriter(c, newWriter);
        });
      },
    );
    it(
      'cold process, old writer kept down (writer endpoint refuses): all 50 on the new writer, learnt through the reader endpoint',
      { retry: 1, timeout: 120_000 },
      async () => {
        await withCluster(engine, { instances: 3, dnsLagMs: DNS_LAG_MS }, async (c) => {
          await createWritesTable(c);
          const old = c.instances().find((i) => i.role === 'writer')!.id;
          const { newWriter } = await c.failover({ keepOldWriterDown: true });
          expect(c.instances().find((i) => i.id === old)!.role).toBe('down');
          await expectNewConnectionsOnNewWriter(c, newWriter);
          expect(c.instances().find((i) => i.id === old)!.role).toBe('down');
        });
      },
    );
  });

  describe(`initialConnection, reader cluster endpoint with 3 readers (${engine})`, () => {
    let cluster: EmulatedCluster | undefined;
    let warm: TestConnection | undefined;
    const c = (): EmulatedCluster => {
      if (cluster === undefined) throw new Error('cluster not started');
      return cluster;
    };
    const reader = (options: Record<string, unknown>): Promise<TestConnection> =>
      openAurora(c(), c().readerEndpoint.host, options);

    beforeAll(async () => {
      cluster = await startTestCluster({ engine, instances: 4 });
      // Topology known: a live connection holds it; one reader-endpoint connection taught the
      // process that this name belongs to the same cluster.
      warm = await openAurora(c(), c().writerEndpoint.host);
      await (await reader({})).end();
    });

    afterAll(async () => {
      await warm?.end();
      if (cluster !== undefined) {
        try {
          await expectNoSessionsLeft(cluster);
        } finally {
          await cluster.stop();
        }
      }
    });

    async function distribution(
      options: Record<string, unknown>,
      n: number,
    ): Promise<Record<string, number>> {
      const conns = await openMany(n, () => reader(options));
      try {
        return tally(await Promise.all(conns.map((conn) => conn.instanceId())));
      } finally {
        await endAll(conns);
      }
    }

    it('roundRobin spreads 30 connections exactly 10/10/10 (rotation shared by the connections)', async () => {
      const [a, b, d] = readerIds(c());
      expect(await distribution({ readerInitialConnectionHostSelectorStrategy: 'roundRobin' }, 30)).toEqual({
        [a!]: 10,
        [b!]: 10,
        [d!]: 10,
      });
    });

    it('roundRobin with roundRobinHostWeightPairs 3:1:1 by instance name gives 18/6/6', async () => {
      const [a, b, d] = readerIds(c());
      const options = {
        readerInitialConnectionHostSelectorStrategy: 'roundRobin',
        roundRobinHostWeightPairs: `${a}:3,${b}:1,${d}:1`,
      };
      expect(await distribution(options, 30)).toEqual({ [a!]: 18, [b!]: 6, [d!]: 6 });
    });

    it('leastConnections keeps the open connections per reader within 1', async () => {
      const conns = await openMany(30, () =>
        reader({ readerInitialConnectionHostSelectorStrategy: 'leastConnections' }),
      );
      try {
        // Opened 30 at once, then 7 more one by one on top: counts stay level throughout.
        for (let i = 0; i < 7; i++)
          conns.push(await reader({ readerInitialConnectionHostSelectorStrategy: 'leastConnections' }));
        const counts = tally(await Promise.all(conns.map((conn) => conn.instanceId())));
        expect(Object.keys(counts).sort()).toEqual(readerIds(c()));
        const values = Object.values(counts);
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      } finally {
        await endAll(conns);
      }
    });

    it('fastestResponse picks the reader without injected latency; its monitor stops with the last connection', async () => {
      const [fast, slow1, slow2] = readerIds(c());
      const options = {
        readerInitialConnectionHostSelectorStrategy: 'fastestResponse',
        responseMeasurementIntervalMs: 500,
      };
      c().latency(slow1!, 150);
      c().latency(slow2!, 150);
      const first = await reader(options);
      const conns: TestConnection[] = [first];
      try {
        // Wait for the first measurement of all three readers (the monitor started with `first`).
        const clusterId = auroraClusterId(c());
        const hostsOf = (ids: string[]): string[] =>
          c()
            .instances()
            .filter((i) => ids.includes(i.id))
            .map((i) => `${i.host}:${i.port}`);
        const readers = hostsOf([fast!, slow1!, slow2!]);
        const until = Date.now() + 15_000;
        while (!readers.every((h) => measuredResponseTimes(clusterId)[h] !== undefined)) {
          if (Date.now() > until)
            throw new Error(`not measured: ${JSON.stringify(measuredResponseTimes(clusterId))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const times = measuredResponseTimes(clusterId);
        const [fastHost] = hostsOf([fast!]);
        for (const h of readers) if (h !== fastHost) expect(times[h]!).toBeGreaterThan(times[fastHost!]!);
        for (let i = 0; i < 10; i++) conns.push(await reader(options));
        const ids = await Promise.all(conns.slice(1).map((conn) => conn.instanceId()));
        expect(tally(ids)).toEqual({ [fast!]: 10 });
      } finally {
        c().heal(slow1!);
        c().heal(slow2!);
        await endAll(conns);
      }
      expect(liveResponseMonitors()).toBe(0);
    });

    it('openConnectionRetryTimeoutMs bounds the open when every instance refuses: a clear error, no password', async () => {
      const all = c().instances();
      for (const i of all) c().partition(i.id, { mode: 'refuse' });
      try {
        for (const host of [c().writerEndpoint.host, c().readerEndpoint.host]) {
          const started = Date.now();
          const err = await rejection(
            openAurora(c(), host, { openConnectionRetryTimeoutMs: 3000, openConnectionRetryIntervalMs: 200 }),
          );
          const took = Date.now() - started;
          expect(err).toBeInstanceOf(UnavailableHostError);
          const message = (err as Error).message;
          expect(message).toContain('openConnectionRetryTimeoutMs=3000');
          expect(message).toContain(host);
          expect(message).not.toContain(c().credentials.password);
          expect(took).toBeGreaterThanOrEqual(2900);
          expect(took).toBeLessThan(3000 + 5000);
        }
      } finally {
        for (const i of all) c().heal(i.id);
      }
    });

    it('a login error is not retried: it surfaces at once', async () => {
      const started = Date.now();
      const err = await rejection(openAurora(c(), c().writerEndpoint.host, { password: 'wrong-password' }));
      expect(err).not.toBeInstanceOf(UnavailableHostError);
      expect(Date.now() - started).toBeLessThan(2500);
    });
  });

  describe(`initialConnection, reader cluster endpoint as readers go away (${engine})`, () => {
    it('skips a reader that refuses, and connects to the writer only when every reader is removed', async () => {
      await withCluster(engine, { instances: 3 }, async (c) => {
        const warm = await openAurora(c, c.writerEndpoint.host);
        try {
          await (await openAurora(c, c.readerEndpoint.host)).end();
          const writer = c.instances().find((i) => i.role === 'writer')!.id;
          const [gone, stays] = readerIds(c);
          const onReaders = await openMany(10, () => openAurora(c, c.readerEndpoint.host));
          const before = tally(await Promise.all(onReaders.map((x) => x.instanceId())));
          await endAll(onReaders);
          expect(before[writer]).toBeUndefined();

          // The topology this process holds still lists the removed reader: it refuses, is skipped.
          await c.removeReader(gone!);
          const one = await openMany(5, () =>
            openAurora(c, c.readerEndpoint.host, {
              readerInitialConnectionHostSelectorStrategy: 'roundRobin',
            }),
          );
          expect(tally(await Promise.all(one.map((x) => x.instanceId())))).toEqual({ [stays!]: 5 });
          await endAll(one);

          await c.removeReader(stays!);
          const last = await openAurora(c, c.readerEndpoint.host, { openConnectionRetryIntervalMs: 200 });
          try {
            expect(await last.instanceId()).toBe(writer);
          } finally {
            await last.end();
          }
        } finally {
          await warm.end();
        }
      });
    }, 120_000);
  });
}
