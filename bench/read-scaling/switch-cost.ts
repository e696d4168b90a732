/**
 * The `setReadOnly` row of bench:read-scaling (read/write-splitting issue): what one switch
 * costs with aurora-ha's `readWriteSplitting` — `setReadOnly(true | false)` then a `SELECT 1` on
 * the side switched to — against the same `SELECT 1` on one connection that never switches, and
 * against AWS's documented behaviour without its internal connection pools (every switch to the
 * reader opens a new connection), modelled as a plain driver connection opened, used for one
 * `SELECT 1` and closed. One fresh 3-instance cluster per engine; the three kinds run in
 * interleaved rounds in the same process, each figure the median of the rounds' means. Also
 * counts the physical connections aurora-ha opened for the logical connection
 * (`aurora-ha:connect`, failover2's shared monitor left out): two for all the switches.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import mysqlPlain from 'mysql2/promise';
import pgPlain from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import mysql from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';

export interface SwitchCost {
  /** µs per `SELECT 1` on one connection, no switch. */
  selectUs: number;
  /** µs per switch + `SELECT 1` (aurora-ha readWriteSplitting). */
  switchUs: number;
  /** µs per new plain connection + `SELECT 1` + close (a connection per switch). */
  newConnectionUs: number;
  /** Physical connections aurora-ha opened for all its switches (the first two included). */
  connections: number;
  switches: number;
}

/** One connection's API as the rounds use it. */
interface Session {
  select(): Promise<unknown>;
  setReadOnly(readOnly: boolean): Promise<void>;
  end(): Promise<void>;
}

const ROUNDS = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function timeEach(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return ((performance.now() - t0) * 1000) / n;
}

async function openAuroraHa(cluster: EmulatedCluster): Promise<Session> {
  const config = {
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    ...cluster.credentials,
    plugins: ['readWriteSplitting', 'failover2'],
  };
  if (cluster.engine === 'postgres') {
    const client = new Client(config);
    await client.connect();
    return {
      select: () => client.query('SELECT 1'),
      setReadOnly: (r) => client.setReadOnly(r),
      end: () => client.end(),
    };
  }
  const conn = await mysql.createConnection(config);
  return {
    select: () => conn.query('SELECT 1'),
    setReadOnly: (r) => conn.setReadOnly(r),
    end: () => conn.end(),
  };
}

/** A plain driver connection to the reader endpoint: open, one SELECT 1, close. */
async function plainConnectionRoundTrip(cluster: EmulatedCluster): Promise<void> {
  const config = {
    host: cluster.readerEndpoint.host,
    port: cluster.readerEndpoint.port,
    ...cluster.credentials,
  };
  if (cluster.engine === 'postgres') {
    const client = new pgPlain.Client(config);
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    return;
  }
  const conn = await mysqlPlain.createConnection(config);
  await conn.query('SELECT 1');
  await conn.end();
}

/** `switches` switches (and as many plain SELECTs), a tenth as many new connections, per round. */
export async function measureSwitchCost(cluster: EmulatedCluster, switches: number): Promise<SwitchCost> {
  let connections = 0;
  // The logical connection's own physical connections, not failover2's shared monitor.
  const onConnect = (message: unknown): void => {
    const purpose = (message as { purpose?: unknown }).purpose;
    if (purpose !== 'monitor' && purpose !== 'probe') connections++;
  };
  subscribe('tracing:aurora-ha:connect:start', onConnect);
  const session = await openAuroraHa(cluster);
  try {
    // Warm-up: both sides open, the JIT past its first tiers.
    for (let i = 0; i < 200; i++) {
      await session.setReadOnly(i % 2 === 0);
      await session.select();
    }
    await session.setReadOnly(false);
    const perRound = Math.max(2, Math.floor(switches / ROUNDS));
    const select: number[] = [];
    const sw: number[] = [];
    const fresh: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      select.push(await timeEach(perRound, () => session.select()));
      sw.push(
        await timeEach(perRound, async (i) => {
          await session.setReadOnly(i % 2 === 0);
          await session.select();
        }),
      );
      await session.setReadOnly(false);
      fresh.push(
        await timeEach(Math.max(1, Math.floor(perRound / 10)), () => plainConnectionRoundTrip(cluster)),
      );
    }
    return {
      selectUs: median(select),
      switchUs: median(sw),
      newConnectionUs: median(fresh),
      connections,
      switches: 200 + perRound * ROUNDS,
    };
  } finally {
    await session.end();
    unsubscribe('tracing:aurora-ha:connect:start', onConnect);
  }
}
