/**
 * Measured replica lag end to end, run by one test file per engine: a held reader's lag in the
 * topology the writer reports grows past 1 s within a bound derived from the emulator's
 * heartbeat period; with `maxReplicaLagMs: 1000` new connections on the reader cluster endpoint
 * never land on it (while without the option roundRobin does send some there); after release
 * its lag falls back and new connections reach it again. The process learns lag from failover2's
 * monitor, which reads the topology on the writer every TOPOLOGY_REFRESH_MS.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AURORA_MYSQL, AURORA_PG } from '../../src/dialects/sql.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { HEARTBEAT_PERIOD_MS } from '../../src/emulator/replica-lag.js';
import { getClusterStatus } from '../../src/index.js';
import { mysqlConfig, pgConfig, startTestCluster } from './cluster.js';
import { openAurora, type TestConnection } from './initial-connection-clients.js';

const LIMIT_MS = 1_000;
const TOPOLOGY_REFRESH_MS = 250;
/**
 * Slack for scheduling on a loaded 2-core machine. Lag at time t after hold() resolved is at
 * least t - 2 periods (the first missed heartbeat is written within one period, the sample
 * comes within the next), so it passes LIMIT_MS by LIMIT_MS + 2 periods + one write + slack.
 */
const SLACK_MS = 1_000;
const GROWS_WITHIN_MS = LIMIT_MS + 3 * HEARTBEAT_PERIOD_MS + SLACK_MS;
/** After release, replay catches up at once; the next sample (one period) and its write report it. */
const FALLS_WITHIN_MS = 3 * HEARTBEAT_PERIOD_MS + SLACK_MS;
/** The process's view follows within one monitor refresh. */
const SEEN_WITHIN_MS = TOPOLOGY_REFRESH_MS + SLACK_MS;
const OPENS = 8;

/** The lag per instance in the topology the writer instance reports (Aurora's own SQL, unmodified). */
async function writerTopologyLags(c: EmulatedCluster): Promise<Map<string, number>> {
  const writer = c.instances().find((i) => i.role === 'writer');
  if (!writer) throw new Error('no writer');
  let rows: Record<string, unknown>[];
  if (c.engine === 'postgres') {
    const client = new pg.Client(pgConfig(c, writer.host));
    client.on('error', () => undefined);
    await client.connect();
    try {
      rows = (await client.query<Record<string, unknown>>(AURORA_PG.topology)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    const conn = await mysql.createConnection(mysqlConfig(c, writer.host));
    try {
      rows = (await conn.query(AURORA_MYSQL.topology))[0] as Record<string, unknown>[];
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
  // columns: server id, is writer, cpu, lag, last update
  return new Map(rows.map((r) => Object.values(r)).map((v) => [String(v[0]), Number(v[3])]));
}

/** Poll `read` until `ok`, at most `withinMs`; the last value and the time it took. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, withinMs: number) {
  const t0 = Date.now();
  let value = await read();
  while (!ok(value) && Date.now() - t0 < withinMs) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return { value, ok: ok(value), tookMs: Date.now() - t0 };
}

export function replicaLagSuite(engine: 'postgres' | 'mysql'): void {
  describe(`measured replica lag and maxReplicaLagMs (${engine})`, () => {
    let c: EmulatedCluster;
    let anchor: TestConnection | undefined;
    const base = {
      plugins: ['initialConnection', 'failover2'],
      topologyRefreshMs: TOPOLOGY_REFRESH_MS,
      readerInitialConnectionHostSelectorStrategy: 'roundRobin',
    };

    beforeAll(async () => {
      c = await startTestCluster({ engine, instances: 3 });
      // keeps failover2's monitor (and so the process's view of lag) alive for the whole file
      anchor = await openAurora(c, c.writerEndpoint.host, base);
    });
    afterAll(async () => {
      await anchor?.end().catch(() => undefined);
      await c?.stop();
    });

    /** Where OPENS connections opened one after another on the reader endpoint land. */
    async function landings(options: Record<string, unknown>): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < OPENS; i++) {
        const conn = await openAurora(c, c.readerEndpoint.host, { ...base, ...options });
        try {
          ids.push(await conn.instanceId());
        } finally {
          await conn.end().catch(() => undefined);
        }
      }
      return ids;
    }

    const viewedLag = (id: string): number | undefined =>
      getClusterStatus({ host: c.writerEndpoint.host, port: c.writerEndpoint.port }).readers.find(
        (r) => r.instanceId === id,
      )?.lagMs;

    it('a held reader lags in the topology, is skipped over the limit, and is back after release', async () => {
      const [held, other] = c
        .instances()
        .filter((i) => i.role === 'reader')
        .map((i) => i.id);
      if (held === undefined || other === undefined) throw new Error('two readers expected');

      const before = await writerTopologyLags(c);
      expect(before.get(held)).toBeLessThan(LIMIT_MS);

      await c.hold(held);
      const grown = await until(
        () => writerTopologyLags(c),
        (l) => (l.get(held) ?? 0) > LIMIT_MS,
        GROWS_WITHIN_MS,
      );
      console.log(
        `[${engine}] held ${held}: lag ${grown.value.get(held)} ms after ${grown.tookMs} ms (bound ${GROWS_WITHIN_MS}); ${other}: ${grown.value.get(other)} ms`,
      );
      expect(grown.ok).toBe(true);
      expect(grown.value.get(other)).toBeLessThan(LIMIT_MS);

      const seen = await until(
        async () => viewedLag(held),
        (l) => (l ?? 0) > LIMIT_MS,
        SEEN_WITHIN_MS,
      );
      expect(seen.ok).toBe(true);

      // Without the option roundRobin sends some connections to the held reader …
      expect(new Set(await landings({}))).toEqual(new Set([held, other]));
      // … with it none.
      expect(await landings({ maxReplicaLagMs: LIMIT_MS })).toEqual(Array(OPENS).fill(other));

      await c.release(held);
      const fallen = await until(
        () => writerTopologyLags(c),
        (l) => (l.get(held) ?? Infinity) < LIMIT_MS,
        FALLS_WITHIN_MS,
      );
      console.log(
        `[${engine}] released ${held}: lag ${fallen.value.get(held)} ms after ${fallen.tookMs} ms (bound ${FALLS_WITHIN_MS})`,
      );
      expect(fallen.ok).toBe(true);
      const cleared = await until(
        async () => viewedLag(held),
        (l) => l !== undefined && l <= LIMIT_MS,
        SEEN_WITHIN_MS,
      );
      expect(cleared.ok).toBe(true);
      expect(await landings({ maxReplicaLagMs: LIMIT_MS })).toContain(held);
    }, 60_000);
  });
}
