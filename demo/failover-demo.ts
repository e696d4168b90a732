/**
 * `npm run demo`: a 3-instance PostgreSQL cluster on the emulator with a realistic DNS lag,
 * three groups of workers writing through the writer cluster endpoint — aurora-ha's Client with
 * the default failover plugin (v1), aurora-ha's Client with `failover2` (the shared topology
 * monitor), and plain `pg` reconnecting on error — and a writer failure.
 * Prints a progress line per second, then per-group downtime, errors by type and the emulator's
 * timeline, and writes demo/out/failover-timeline.html. Cleans up on success, error and Ctrl-C.
 *
 *   npm run demo -- --workers 8 --dns-lag-ms 20000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EmulatedCluster } from '../src/emulator.js';
import { now } from '../bench/failover/clock.js';
import { exitWhenFlushed } from '../bench/failover/exit-when-flushed.js';
import { listenForInterrupt } from '../bench/failover/interrupt.js';
import { runFailover, type FailoverRunResult } from '../bench/failover/failover-run.js';
import { groupOutage } from '../bench/failover/outage.js';
import { formatErrors, formatTable, signedMs } from '../bench/failover/report.js';
import { EngineMissingError, startClusterOrExplain } from '../bench/failover/start-cluster.js';
import { auroraPg, plainPg, writeClient } from '../bench/failover/write-clients.js';
import { prepareWritesTable } from '../bench/failover/writes-table.js';
import { ProgressLine } from './progress-line.js';
import { timelineChartHtml } from './timeline-chart.js';
import { ClusterStatusLog } from './cluster-status-log.js';

const DEFAULT_OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'out');

interface DemoConfig {
  workers: number;
  dnsLagMs: number;
  writeIntervalMs: number;
  backoffMs: number;
  backoffMaxMs: number;
  steadyMs: number;
  /** Where the chart (failover-timeline.html) and the numbers (failover-summary.json) go. */
  outDir: string;
}

function parseConfig(): DemoConfig {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '8' },
      'dns-lag-ms': { type: 'string', default: '20000' },
      'write-interval-ms': { type: 'string', default: '20' },
      'backoff-ms': { type: 'string', default: '100' },
      'backoff-max-ms': { type: 'string', default: '1000' },
      'steady-ms': { type: 'string', default: '4000' },
      out: { type: 'string', default: DEFAULT_OUT_DIR },
    },
  });
  const int = (name: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
    return n;
  };
  return {
    workers: Math.max(1, int('workers', values.workers)),
    dnsLagMs: int('dns-lag-ms', values['dns-lag-ms']),
    writeIntervalMs: int('write-interval-ms', values['write-interval-ms']),
    backoffMs: int('backoff-ms', values['backoff-ms']),
    backoffMaxMs: int('backoff-max-ms', values['backoff-max-ms']),
    steadyMs: int('steady-ms', values['steady-ms']),
    outDir: values.out,
  };
}

async function demo(config: DemoConfig, signal: AbortSignal): Promise<void> {
  console.log(`Starting a 3-instance PostgreSQL cluster (DNS lag ${config.dnsLagMs / 1000} s)…`);
  let cluster: EmulatedCluster | undefined;
  try {
    cluster = await startClusterOrExplain({ engine: 'postgres', instances: 3, dnsLagMs: config.dnsLagMs });
    if (signal.aborted) return;
    const writer = cluster.instances().find((i) => i.role === 'writer');
    console.log(`Writer cluster endpoint ${cluster.writerEndpoint.host} → ${writer?.id ?? '?'}`);
    const target = await prepareWritesTable({
      engine: 'postgres',
      ...cluster.writerEndpoint,
      ...cluster.credentials,
      reportInstance: true,
    });
    const groups = [
      { name: 'aurora-ha', client: auroraPg(), workers: config.workers },
      { name: 'aurora-ha failover2', client: writeClient('postgres', 'failover2'), workers: config.workers },
      { name: 'plain pg', client: plainPg, workers: config.workers },
    ];
    console.log(
      `${config.workers} workers per group write in a loop; the writer fails after ${config.steadyMs / 1000} s of steady state.\n`,
    );
    const startedAt = now();
    let progress: ProgressLine | undefined;
    const live = cluster;
    const status = new ClusterStatusLog(cluster.writerEndpoint, now);
    const run = await runFailover({
      cluster,
      target,
      groups,
      pacing: {
        writeIntervalMs: config.writeIntervalMs,
        reconnectBackoffMs: config.backoffMs,
        reconnectBackoffMaxMs: config.backoffMaxMs,
      },
      steadyMs: config.steadyMs,
      settleMs: 2000,
      untilDnsSwitched: true,
      maxAfterFaultMs: config.dnsLagMs + 10_000,
      signal,
      onSecond: (at, records) => {
        status.sample();
        progress ??= new ProgressLine(records, startedAt);
        console.log(
          progress.next(
            at,
            live.timeline().filter((e) => e.at >= startedAt),
          ),
        );
      },
    });
    status.stop();
    if (signal.aborted) return;
    report(run, startedAt, config, status.changes);
  } finally {
    if (cluster !== undefined) {
      console.log('\nStopping the cluster…');
      await cluster.stop();
    }
  }
}

function report(
  run: FailoverRunResult,
  startedAt: number,
  config: DemoConfig,
  status: readonly { at: number; text: string }[],
): void {
  const outages = [...run.records].map(([group, records]) =>
    groupOutage(group, records, run.faultAt, run.promotedAt),
  );
  console.log('\nPer group (downtime = last successful write before the fault → first after it):\n');
  console.log(
    formatTable(
      [
        'group',
        'workers',
        'downtime p50 / max',
        'first write after promotion p50 / max',
        'unrecovered',
        'errors by type',
      ],
      outages.map((o) => [
        o.group,
        String(o.workers),
        o.downtime.count === 0 ? '-' : `${ms(o.downtime.p50)} / ${ms(o.downtime.max)}`,
        o.afterPromotion.count === 0 ? '-' : `${ms(o.afterPromotion.p50)} / ${ms(o.afterPromotion.max)}`,
        String(o.unrecovered),
        formatErrors(o.errors),
      ]),
    ),
  );
  console.log('\nEmulator timeline (relative to the fault, when failover() was called):');
  for (const e of run.timeline)
    console.log(
      `  ${signedMs(e.at - run.faultAt).padStart(10)}  ${e.kind}${e.instanceId === undefined ? '' : ` ${e.instanceId}`}${e.detail === undefined ? '' : ` (${e.detail})`}`,
    );
  if (run.failoverError !== undefined) console.log(`  failover() reported: ${run.failoverError}`);
  console.log("\naurora-ha's view (getClusterStatus, relative to the fault):");
  for (const s of status) console.log(`  ${signedMs(s.at - run.faultAt).padStart(10)}  ${s.text}`);
  mkdirSync(config.outDir, { recursive: true });
  const chartFile = join(config.outDir, 'failover-timeline.html');
  writeFileSync(
    chartFile,
    timelineChartHtml({
      title: 'aurora-ha failover demo: successful writes per second',
      groups: run.records,
      outages,
      timeline: run.timeline,
      faultAt: run.faultAt,
      from: startedAt,
      to: run.endedAt,
      status,
    }),
  );
  const summary = {
    dnsLagMs: config.dnsLagMs,
    workersPerGroup: config.workers,
    newWriter: run.newWriter,
    groups: outages.map(({ perWorker: _perWorker, ...o }) => o),
    timeline: run.timeline.map(({ at, ...e }) => ({ ...e, atMs: Math.round(at - run.faultAt) })),
    clusterStatus: status.map(({ at, text }) => ({ atMs: Math.round(at - run.faultAt), text })),
  };
  writeFileSync(join(config.outDir, 'failover-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nTimeline chart: ${relative(process.cwd(), chartFile)}`);
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

async function main(): Promise<number> {
  let config: DemoConfig;
  try {
    config = parseConfig();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const interrupt = listenForInterrupt('demo');
  try {
    await demo(config, interrupt.signal);
    return interrupt.signal.aborted ? 130 : 0;
  } catch (err) {
    if (err instanceof EngineMissingError) console.error(err.message);
    else console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    interrupt.dispose();
  }
}

exitWhenFlushed(await main());
