/**
 * `npm run bench:read-scaling`: 50 read workers on a reader pool of 20 through a reader crash,
 * plain driver pool vs aurora-ha's pool (default plugins, `leastConnections`,
 * `retryReadsOnFailover` on by default), on PostgreSQL and MariaDB. One fresh 4-instance emulated
 * cluster (writer + 3 readers) per engine and client group. Prints a markdown table; exits 1
 * when an aurora-ha read failed or returned wrong rows (the claim is: none does). Then the
 * `setReadOnly` table (switch-cost.ts): µs per switch vs a connection per switch; exits 1 too
 * when the switches opened more than the two connections they keep.
 *
 *   npm run bench:read-scaling -- --engine postgres --steady-ms 5000 --after-ms 10000
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { exitWhenFlushed } from '../failover/exit-when-flushed.js';
import { listenForInterrupt } from '../failover/interrupt.js';
import { formatErrors } from '../failover/report.js';
import { EngineMissingError, startClusterOrExplain } from '../failover/start-cluster.js';
import type { Family } from './pools.js';
import { seedReadsTable } from './seed.js';
import { summarizeGroup, type GroupSummary } from './summary.js';
import { measureSwitchCost, type SwitchCost } from './switch-cost.js';
import { runGroup, type GroupRun, type GroupSettings } from './workload.js';

type Engine = 'postgres' | 'mysql';

const USAGE = `usage: npm run bench:read-scaling -- [options]
  --engine postgres|mysql|all   engines (default all)
  --workers N                   read loops (default 50)
  --pool N                      pool size, max / connectionLimit (default 20)
  --warm-up-ms N                pool opening and first reads, not in the latencies (default 1000)
  --steady-ms N                 measured reads before the crash (default 5000)
  --after-ms N                  reads after the crash (default 10000)
  --switches N                  setReadOnly switches measured per engine (default 2000; 0: skip)`;

interface Result {
  engine: Engine;
  family: Family;
  run: GroupRun;
  summary: GroupSummary;
}

function int(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer\n${USAGE}`);
  return n;
}

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const ms = (x: number): string => (Number.isNaN(x) ? '-' : `${Math.round(x).toLocaleString('en-US')} ms`);
const ratio = (ha: number, plain: number): string =>
  plain > 0 && Number.isFinite(ha / plain) ? ` (${(ha / plain).toFixed(2)}×)` : '';

function row(r: Result, plain: Result | undefined): string {
  const s = r.summary;
  const p = plain === undefined || plain === r ? undefined : plain.summary;
  const spread = Object.entries(r.run.spread)
    .map(([id, n]) => `${id.replace('instance-', 'i')}:${n}`)
    .join(' ');
  return [
    r.engine === 'postgres' ? 'PostgreSQL' : 'MySQL (MariaDB)',
    r.run.client,
    s.ok.toLocaleString('en-US'),
    s.failed === 0 ? '**0**' : `**${s.failed}** (${formatErrors(s.errors)})`,
    String(s.wrong),
    `${ms(s.p95BeforeMs)}${p === undefined ? '' : ratio(s.p95BeforeMs, p.p95BeforeMs)}`,
    `${ms(s.p95AfterMs)}${p === undefined ? '' : ratio(s.p95AfterMs, p.p95AfterMs)}`,
    `${s.inFlight.count} / ${ms(s.inFlight.maxMs)}`,
    `${ms(s.longestMs)}${p === undefined ? '' : ratio(s.longestMs, p.longestMs)}`,
    `${r.run.connects}${p === undefined ? '' : ratio(r.run.connects, plain!.run.connects)}`,
    `${r.run.victim} (${spread})`,
  ].join(' | ');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'all' },
      workers: { type: 'string' },
      pool: { type: 'string' },
      'warm-up-ms': { type: 'string' },
      'steady-ms': { type: 'string' },
      'after-ms': { type: 'string' },
      switches: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!['postgres', 'mysql', 'all'].includes(values.engine))
    throw new Error(`unknown engine ${values.engine}\n${USAGE}`);
  const engines: Engine[] = values.engine === 'all' ? ['postgres', 'mysql'] : [values.engine as Engine];
  const settings: GroupSettings = {
    workers: int(values.workers, 50, 'workers'),
    poolSize: int(values.pool, 20, 'pool'),
    warmUpMs: int(values['warm-up-ms'], 1000, 'warm-up-ms'),
    steadyMs: int(values['steady-ms'], 5000, 'steady-ms'),
    afterMs: int(values['after-ms'], 10_000, 'after-ms'),
  };
  const switches = values.switches === '0' ? 0 : int(values.switches, 2000, 'switches');
  console.log(`bench:read-scaling ${new Date().toISOString()}, load average ${load()}`);
  const interrupt = listenForInterrupt('bench:read-scaling');
  const results: Result[] = [];
  const costs: { engine: Engine; cost: SwitchCost }[] = [];
  try {
    for (const engine of engines)
      for (const family of ['plain', 'aurora-ha'] as const) {
        if (interrupt.signal.aborted) break;
        const cluster = await startClusterOrExplain({ engine, instances: 4 });
        try {
          await seedReadsTable(cluster);
          console.log(`running ${engine} ${family}: ${settings.workers} workers, pool ${settings.poolSize}…`);
          const run = await runGroup(cluster, family, settings, interrupt.signal);
          const summary = summarizeGroup(run, settings.afterMs);
          results.push({ engine, family, run, summary });
          console.log(
            `  crashed ${run.victim} (pool connections per reader before: ${JSON.stringify(run.spread)}); ok ${summary.ok}, failed ${summary.failed} (${formatErrors(summary.errors)}), wrong ${summary.wrong}; after the crash answered by ${JSON.stringify(summary.afterBy)}; load ${load()}`,
          );
        } finally {
          await cluster.stop();
        }
      }
    for (const engine of switches > 0 ? engines : []) {
      if (interrupt.signal.aborted) break;
      const cluster = await startClusterOrExplain({ engine, instances: 3 });
      try {
        console.log(`running ${engine} setReadOnly: ${switches} switches…`);
        costs.push({ engine, cost: await measureSwitchCost(cluster, switches) });
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted) return 130;
  console.log(
    `\n${settings.workers} read workers, pool of ${settings.poolSize} on the reader endpoint, 4 instances; ${settings.warmUpMs / 1000} s warm-up, ${settings.steadyMs / 1000} s steady, crash, ${settings.afterMs / 1000} s more. p95 before = reads started after the warm-up and ended before the crash; after = reads started in the ${settings.afterMs / 1000} s after it; in flight = reads started before the crash and ended after it (count / longest). Connects = socket connect() calls to the cluster's port by the process during the group, refused ones and aurora-ha's monitors included. (×) = ratio to plain. Load average at the end: ${load()}.\n`,
  );
  console.log(
    '| engine | client | reads ok | failed reads | wrong | p95 before crash | p95 after crash | in flight at crash | longest read | connects | crashed reader (pool conns per reader) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const plain = results.find((p) => p.engine === r.engine && p.family === 'plain');
    console.log(`| ${row(r, plain)} |`);
  }
  if (costs.length > 0) {
    const us = (x: number): string => `${Math.round(x).toLocaleString('en-US')} µs`;
    console.log(
      `\nsetReadOnly (readWriteSplitting + failover2, one Client / mysql2 promise connection, 3 instances): a switch = setReadOnly(true | false) alternately, then SELECT 1 on the side switched to; median of ${5} interleaved rounds. "A connection per switch" = what AWS documents for its plugin without internal connection pools, modelled with the plain driver: connect to the reader endpoint, SELECT 1, close. Load average at the end: ${load()}.\n`,
    );
    console.log(
      '| engine | SELECT 1, no switch | switch + SELECT 1 | switch cost | a connection per switch (+ SELECT 1) | connections opened by aurora-ha for its switches |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const { engine, cost } of costs)
      console.log(
        `| ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL (MariaDB)'} | ${us(cost.selectUs)} | ${us(cost.switchUs)} | ${us(cost.switchUs - cost.selectUs)} | ${us(cost.newConnectionUs)} (${(cost.newConnectionUs / cost.switchUs).toFixed(0)}× a switch) | ${cost.connections} for ${cost.switches.toLocaleString('en-US')} switches |`,
      );
  }
  const leaky = costs.filter((c) => c.cost.connections > 2);
  for (const c of leaky)
    console.error(
      `bench:read-scaling: setReadOnly on ${c.engine} opened ${c.cost.connections} connections (expected 2)`,
    );
  const broken = results.filter(
    (r) => r.family === 'aurora-ha' && (r.summary.failed > 0 || r.summary.wrong > 0),
  );
  for (const r of broken)
    console.error(
      `bench:read-scaling: aurora-ha on ${r.engine}: ${r.summary.failed} failed reads (${formatErrors(r.summary.errors)}), ${r.summary.wrong} wrong`,
    );
  return broken.length > 0 || leaky.length > 0 ? 1 : 0;
}

main().then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    console.error(err instanceof EngineMissingError ? err.message : err);
    exitWhenFlushed(1);
  },
);
