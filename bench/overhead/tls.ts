/**
 * The TLS row of the overhead benchmark (`BENCH_PARTS=tls`): on a cluster started with
 * `tls: true`, raw driver against aurora-ha (default plugins), both with the cluster's CA and
 * full verification, both through the writer endpoint (a name is needed for the hostname
 * check, so this path includes the emulator's fault proxy, unlike the other rows). Measured in
 * interleaved rounds: a whole connection (TLS handshake, login, `SELECT 1`, close) and
 * sequential `SELECT 1` on an open connection.
 */
import rawMysql from 'mysql2/promise';
import pg from 'pg';
import type { EmulatedCluster } from '../../src/emulator.js';
import { builtMysql2Promise, builtPg } from './built-package.js';
import { median, throughput } from './measure.js';
import type { BenchClient } from './variants.js';

type Kind = 'raw' | 'aurora-ha';
const KINDS: readonly Kind[] = ['raw', 'aurora-ha'];

function opener(cluster: EmulatedCluster, kind: Kind): () => Promise<BenchClient> {
  const ca = cluster.tls?.ca;
  if (ca === undefined) throw new Error('the TLS row needs a cluster started with tls: true');
  const { user, password, database } = cluster.credentials;
  const base = {
    host: cluster.writerEndpoint.host,
    port: cluster.writerEndpoint.port,
    user,
    password,
    database,
  };
  if (cluster.engine === 'postgres') {
    const config = { ...base, ssl: { ca, rejectUnauthorized: true } };
    return async () => {
      if (kind === 'raw') {
        const raw = new pg.Client(config);
        raw.on('error', (err) => console.error(`raw pg client: ${err.message}`));
        await raw.connect();
        return { query: (sql) => raw.query(sql), end: () => raw.end() };
      }
      const c = new builtPg.Client(config);
      c.on('error', (err: Error) => console.error(`aurora-ha pg client: ${err.message}`));
      await c.connect();
      return { query: (sql) => c.query(sql), end: () => c.end() };
    };
  }
  const config = { ...base, ssl: { ca, rejectUnauthorized: true, verifyIdentity: true } };
  return async () => {
    const c =
      kind === 'raw'
        ? await rawMysql.createConnection(config)
        : await builtMysql2Promise.createConnection(config);
    c.on('error', (err: Error) => console.error(`${kind} mysql2 connection: ${err.message}`));
    return { query: (sql) => c.query(sql), end: () => c.end() };
  };
}

/** Print the TLS row of `cluster`'s engine: `rounds` interleaved rounds of each measure. */
export async function benchTls(cluster: EmulatedCluster, rounds: number, sliceMs: number): Promise<void> {
  const open = { raw: opener(cluster, 'raw'), 'aurora-ha': opener(cluster, 'aurora-ha') };
  const connectMs: Record<Kind, number[]> = { raw: [], 'aurora-ha': [] };
  const ops: Record<Kind, number[]> = { raw: [], 'aurora-ha': [] };
  const ratios: number[] = [];
  const connected = { raw: await open.raw(), 'aurora-ha': await open['aurora-ha']() };
  try {
    for (const kind of KINDS) await throughput([connected[kind]], 'SELECT 1', sliceMs / 2); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      const thisRound = {} as Record<Kind, number>;
      for (const kind of order) {
        const started = performance.now();
        const c = await open[kind]();
        await c.query('SELECT 1');
        await c.end();
        connectMs[kind].push(performance.now() - started);
        thisRound[kind] = (await throughput([connected[kind]], 'SELECT 1', sliceMs)).opsPerSec;
        ops[kind].push(thisRound[kind]);
      }
      ratios.push(thisRound['aurora-ha'] / thisRound.raw);
    }
  } finally {
    await Promise.all(KINDS.map((k) => connected[k].end()));
  }
  const ms = (k: Kind): string => `${median(connectMs[k]).toFixed(1)} ms`;
  const r = median(ratios);
  console.log(
    `${cluster.engine.padEnd(9)} TLS (verified, writer endpoint): connect+SELECT 1+close raw ${ms('raw')} | aurora-ha ${ms('aurora-ha')}; ` +
      `sequential SELECT 1 raw ${median(ops.raw).toFixed(0)} ops/s | aurora-ha ${median(ops['aurora-ha']).toFixed(0)} ops/s, ratio ${r.toFixed(3)} (${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %)`,
  );
}
