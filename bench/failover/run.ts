/**
 * `npm run bench:failover`: per-connection downtime and delay after promotion when the writer
 * fails, for plain drivers (reconnect through DNS) and aurora-ha's failover plugin, on the
 * PostgreSQL and MariaDB emulator flavours, at several connection counts. One fresh 3-instance
 * cluster per scenario. Prints a table and writes bench/results/failover-<date>.json.
 *
 *   npm run bench:failover -- --engine postgres --connections 20 --dns-lag-ms 10000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EmulatedCluster, TimelineEvent } from '../../src/emulator.js';
import { exitWhenFlushed } from './exit-when-flushed.js';
import { runFailover } from './failover-run.js';
import { listenForInterrupt } from './interrupt.js';
import { groupOutage, type GroupOutage } from './outage.js';
import { formatErrors, formatTable, formatTimeline } from './report.js';
import { EngineMissingError, startClusterOrExplain } from './start-cluster.js';
import {
  writeClient,
  type AuroraOptions,
  type ClientFamily,
  type Engine,
  type WriteTarget,
} from './write-clients.js';
import { prepareClusterWritesTable } from './writes-table.js';
import { ConnectCounter } from './connect-counter.js';
import { freshConnectBaseline } from './baseline.js';
import { promotionWindowBaseline, type WindowBaseline } from './window-baseline.js';
import { formatSummary, summarize, type Summary } from './stats.js';
import { recordWakeUps } from './wake-latency.js';
import { printRepeatSummary } from './repeat-summary.js';

/** aurora-ha target: p95 delay after promotion ≤ failoverClusterTopologyRefreshRateMs (default) + 250 ms. */
const TOPOLOGY_REFRESH_MS = 2000;
const TARGET_AFTER_PROMOTION_P95_MS = TOPOLOGY_REFRESH_MS + 250;

/**
 * failover2 targets (issue 11): p95 after promotion ≤ baseline p95 + 300 ms (+ 1 s at 1,000
 * connections), wake-up p95 ≤ 10 ms, connects ≤ N + 3 × instances + 10.
 */
const V2_OVER_BASELINE_MS = 300;
const V2_OVER_BASELINE_1000_MS = 1000;
const V2_WAKE_P95_MS = 10;

const USAGE = `usage: npm run bench:failover -- [options]
  --engine postgres|mysql|all     engines to run (default all)
  --connections 20,200            connection counts (default 20,200)
  --clients plain,aurora-ha,failover2  client families (default all three; failover2 = plugins ['failover2'])
  --plugins CODES                 aurora-ha plugin list, e.g. failover2 (default: the library's default)
  --reconnect-concurrency N       aurora-ha's failoverReconnectConcurrency (default: the library's)
  --dns-lag-ms N                  cluster endpoint DNS lag after a role change (default 15000)
  --promotion-delay-ms N          writer loss → promotion delay of the emulator (default 0)
  --write-interval-ms N           pause between a worker's writes (default max(20, connections))
  --backoff-ms N                  first pause before reconnecting after an error, doubling (default 100)
  --backoff-max-ms N              bound of that pause (default 1000)
  --steady-ms N                   steady state before the fault (default 3000)
  --warm-up-ms N                  longest wait for every connection to write once before that (default 15000)
  --ramp-ms N                     spread the connections' opens over N ms (default 0: all at once)
  --connect-batch N               open the connections N at a time, each batch once the previous
                                  one has written (default 50; 0: all at once)
  --repeat N                      run each scenario N times one after the other; the summary gives
                                  the median and the spread, a target is met when all N meet it (default 1)
  --window-baseline on|off        aurora-ha and failover2: also measure the baseline during the
                                  failover window, on a second fresh cluster (default on)
  --allow-partial                 report a scenario even when some connections never wrote before
                                  the fault (default: refused, exit 1)
  --out FILE                      JSON output (default bench/results/failover-<date>.json)`;

interface BenchConfig {
  engines: Engine[];
  connections: number[];
  families: ClientFamily[];
  plugins: string[] | undefined;
  reconnectConcurrency: number | undefined;
  dnsLagMs: number;
  promotionDelayMs: number;
  writeIntervalMs: number | undefined;
  backoffMs: number;
  backoffMaxMs: number;
  steadyMs: number;
  /** Bound on the start-up; undefined: 15 s or 100 ms per connection, whichever is longer. */
  warmUpMs: number | undefined;
  rampMs: number;
  connectBatch: number;
  repeat: number;
  windowBaseline: boolean;
  allowPartial: boolean;
  out: string;
}

interface ScenarioResult {
  engine: Engine;
  /** 1..--repeat: the scenario's run number. */
  run: number;
  client: string;
  family: ClientFamily;
  connections: number;
  writeIntervalMs: number;
  /** Start-up: from the first open until every connection had written once (undefined: some never did). */
  readyMs: number | undefined;
  connectBatch: number;
  newWriter: string | undefined;
  failoverError: string | undefined;
  /** Timeline events relative to the fault (failover() called), ms. */
  timeline: (Omit<TimelineEvent, 'at'> & { atMs: number })[];
  promotedAfterFaultMs: number | undefined;
  dnsSwitchedAfterFaultMs: number | undefined;
  outage: Omit<GroupOutage, 'perWorker'> & {
    perWorkerDowntimeMs: (number | null)[];
    perWorkerAfterPromotionMs: (number | null)[];
  };
  /** Client socket connect() calls to the instances' port from the fault until all recovered. */
  connectCalls: number;
  /** p95 of connect + first write of N fresh plain connections straight to the new writer. */
  baselineP95Ms: number | undefined;
  /**
   * The same N fresh connections opened at the promotion of a second, identical failover (the
   * reconnects' conditions); undefined for the plain drivers or with --window-baseline off.
   */
  windowBaseline: WindowBaseline | undefined;
  /** The target judged against the settled baseline instead of the window's (informational). */
  targetMetSettled: boolean | undefined;
  /** failover2: monitor verified a writer → each waiting connection starts its reconnect (ms). */
  wakeUpMs: Summary | undefined;
  /** failover2: monitor panic starts and writer verifications after the fault, ms. */
  monitor: { panicStartMs: number[]; writerVerifiedMs: number[] } | undefined;
  targetMet: boolean | undefined;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

class UsageError extends Error {}

function onOff(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new UsageError(`--${name} must be on or off, got "${raw}"`);
}

function list<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T[],
): T[] {
  if (raw === undefined || raw === 'all') return fallback;
  const values = raw.split(',').map((v) => v.trim());
  for (const v of values)
    if (!(allowed as readonly string[]).includes(v))
      throw new UsageError(`--${name}: unknown value "${v}" (accepted: ${allowed.join(', ')}, all)`);
  return values as T[];
}

function parseConfig(argv: string[]): BenchConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'string' },
      connections: { type: 'string' },
      clients: { type: 'string' },
      plugins: { type: 'string' },
      'reconnect-concurrency': { type: 'string' },
      'dns-lag-ms': { type: 'string' },
      'promotion-delay-ms': { type: 'string' },
      'write-interval-ms': { type: 'string' },
      'backoff-ms': { type: 'string' },
      'backoff-max-ms': { type: 'string' },
      'steady-ms': { type: 'string' },
      'warm-up-ms': { type: 'string' },
      'ramp-ms': { type: 'string' },
      'connect-batch': { type: 'string' },
      repeat: { type: 'string' },
      'window-baseline': { type: 'string' },
      'allow-partial': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const connections = (values.connections ?? '20,200')
    .split(',')
    .map((c) => positiveInt('connections', c, 0));
  if (connections.some((c) => c < 1)) throw new UsageError('--connections: each count must be at least 1');
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const here = dirname(fileURLToPath(import.meta.url));
  return {
    engines: list('engine', values.engine, ['postgres', 'mysql'], ['postgres', 'mysql']),
    connections,
    families: list(
      'clients',
      values.clients,
      ['plain', 'aurora-ha', 'failover2'],
      ['plain', 'aurora-ha', 'failover2'],
    ),
    plugins: values.plugins?.split(',').map((p) => p.trim()),
    reconnectConcurrency:
      values['reconnect-concurrency'] === undefined
        ? undefined
        : positiveInt('reconnect-concurrency', values['reconnect-concurrency'], 0),
    dnsLagMs: positiveInt('dns-lag-ms', values['dns-lag-ms'], 15_000),
    promotionDelayMs: positiveInt('promotion-delay-ms', values['promotion-delay-ms'], 0),
    writeIntervalMs:
      values['write-interval-ms'] === undefined
        ? undefined
        : positiveInt('write-interval-ms', values['write-interval-ms'], 0),
    backoffMs: positiveInt('backoff-ms', values['backoff-ms'], 100),
    backoffMaxMs: positiveInt('backoff-max-ms', values['backoff-max-ms'], 1000),
    steadyMs: positiveInt('steady-ms', values['steady-ms'], 3000),
    warmUpMs:
      values['warm-up-ms'] === undefined ? undefined : positiveInt('warm-up-ms', values['warm-up-ms'], 0),
    rampMs: positiveInt('ramp-ms', values['ramp-ms'], 0),
    connectBatch: positiveInt('connect-batch', values['connect-batch'], 50),
    repeat: Math.max(1, positiveInt('repeat', values.repeat, 1)),
    windowBaseline: onOff('window-baseline', values['window-baseline'], true),
    allowPartial: values['allow-partial'] === true,
    out: values.out ?? join(here, '..', 'results', `failover-${stamp}.json`),
  };
}

function auroraOptions(config: BenchConfig): AuroraOptions {
  return {
    ...(config.plugins === undefined ? {} : { plugins: config.plugins }),
    ...(config.reconnectConcurrency === undefined
      ? {}
      : { failoverReconnectConcurrency: config.reconnectConcurrency }),
  };
}

/** The engines' own addresses: instance k's fault proxy is 127.a.b.k, its engine 127.a.b.(100+k). */
function engineAddresses(cluster: { instances(): { address: string }[] }): Set<string> {
  const out = new Set<string>();
  for (const i of cluster.instances()) {
    const parts = i.address.split('.');
    const last = Number(parts[3]);
    if (parts.length === 4 && Number.isInteger(last)) out.add(`${parts.slice(0, 3).join('.')}.${last + 100}`);
  }
  return out;
}

async function runScenario(
  config: BenchConfig,
  engine: Engine,
  family: ClientFamily,
  connections: number,
  signal: AbortSignal,
): Promise<ScenarioResult> {
  const client = writeClient(engine, family, auroraOptions(config));
  const writeIntervalMs = config.writeIntervalMs ?? Math.max(20, connections);
  const { cluster, target } = await scenarioCluster(config, engine);
  let stopped = false;
  try {
    const counter = new ConnectCounter(cluster.writerEndpoint.port, engineAddresses(cluster));
    const wakeUps = recordWakeUps();
    let run;
    try {
      run = await runFailover({
        cluster,
        target: { ...target, reportInstance: false },
        groups: [{ name: client.label, client, workers: connections }],
        pacing: {
          writeIntervalMs,
          reconnectBackoffMs: config.backoffMs,
          reconnectBackoffMaxMs: config.backoffMaxMs,
        },
        steadyMs: config.steadyMs,
        warmUpMs: config.warmUpMs ?? Math.max(15_000, 100 * connections),
        rampMs: config.rampMs,
        connectBatch: config.connectBatch,
        settleMs: 1000,
        untilDnsSwitched: false,
        maxAfterFaultMs: config.dnsLagMs + config.promotionDelayMs + 30_000,
        signal,
      });
    } finally {
      counter.stop();
      wakeUps.stop();
    }
    const wakeUpMs = family === 'failover2' ? summarize(wakeUps.latencies(run.faultAt)) : undefined;
    const afterFault = (ats: number[]): number[] =>
      ats.filter((at) => at >= run.faultAt).map((at) => Math.round(at - run.faultAt));
    const monitor =
      family === 'failover2'
        ? { panicStartMs: afterFault(wakeUps.panicAt()), writerVerifiedMs: afterFault(wakeUps.verifiedAt()) }
        : undefined;
    const connectCalls = counter.between(run.faultAt, run.endedAt);
    // Baseline of the same run: N fresh plain connections straight to the new writer.
    const baseline = signal.aborted
      ? undefined
      : await freshConnectBaseline(engine, cluster, target, connections);
    const outage = groupOutage(
      client.label,
      run.records.get(client.label) ?? [],
      run.faultAt,
      run.promotedAt,
    );
    const { perWorker, ...summary } = outage;
    const rel = (at: number | undefined): number | undefined =>
      at === undefined ? undefined : at - run.faultAt;
    // The window baseline needs a failover of its own: this cluster's is over.
    stopped = true;
    await cluster.stop();
    const window =
      family !== 'plain' && config.windowBaseline && !signal.aborted
        ? await windowBaselineOf(config, engine, connections, signal)
        : undefined;
    const v1Met = (reference: number): boolean =>
      summary.notReady === 0 &&
      summary.unrecovered === 0 &&
      summary.afterPromotion.p95 <= reference + TARGET_AFTER_PROMOTION_P95_MS &&
      connectCalls <= 3 * connections;
    const v2Met = (reference: number): boolean =>
      summary.notReady === 0 &&
      summary.unrecovered === 0 &&
      summary.afterPromotion.p95 <=
        reference + (connections >= 1000 ? V2_OVER_BASELINE_1000_MS : V2_OVER_BASELINE_MS) &&
      wakeUpMs !== undefined &&
      wakeUpMs.count > 0 &&
      wakeUpMs.p95 <= V2_WAKE_P95_MS &&
      connectCalls <= connections + 3 * 3 + 10;
    const met = family === 'aurora-ha' ? v1Met : family === 'failover2' ? v2Met : undefined;
    // Judged against the baseline made in the same conditions (the window's) when there is one.
    const judgeBy = window?.afterPromotion.p95 ?? baseline ?? 0;
    return {
      engine,
      run: 1,
      client: client.label,
      family,
      connections,
      writeIntervalMs,
      readyMs: run.readyMs === undefined ? undefined : Math.round(run.readyMs),
      connectBatch: config.connectBatch,
      newWriter: run.newWriter,
      failoverError: run.failoverError,
      timeline: run.timeline.map(({ at, ...e }) => ({ ...e, atMs: at - run.faultAt })),
      promotedAfterFaultMs: rel(run.promotedAt),
      dnsSwitchedAfterFaultMs: rel(run.dnsSwitchedAt),
      outage: {
        ...summary,
        perWorkerDowntimeMs: perWorker.map((w) => w.downtimeMs ?? null),
        perWorkerAfterPromotionMs: perWorker.map((w) => w.afterPromotionMs ?? null),
      },
      connectCalls,
      baselineP95Ms: baseline,
      windowBaseline: window,
      wakeUpMs,
      monitor,
      targetMet: met?.(judgeBy),
      targetMetSettled: met?.(baseline ?? 0),
    };
  } finally {
    if (!stopped) await cluster.stop();
  }
}

/** A fresh 3-instance cluster of the scenario's settings, with the writes table ready. */
async function scenarioCluster(
  config: BenchConfig,
  engine: Engine,
): Promise<{ cluster: EmulatedCluster; target: WriteTarget }> {
  const cluster = await startClusterOrExplain({
    engine,
    instances: 3,
    dnsLagMs: config.dnsLagMs,
    promotionDelayMs: config.promotionDelayMs,
  });
  try {
    return { cluster, target: await prepareClusterWritesTable(engine, cluster) };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** The baseline during the failover window, on a second fresh cluster (window-baseline.ts). */
async function windowBaselineOf(
  config: BenchConfig,
  engine: Engine,
  connections: number,
  signal: AbortSignal,
): Promise<WindowBaseline | undefined> {
  const { cluster, target } = await scenarioCluster(config, engine);
  try {
    return await promotionWindowBaseline(engine, cluster, target, connections, signal);
  } finally {
    await cluster.stop();
  }
}

/** `met` / `MISSED` against the window baseline (the judge), the settled one's in parentheses. */
function verdict(met: boolean | undefined, metSettled: boolean | undefined): string {
  if (met === undefined) return '-';
  const word = (m: boolean | undefined): string => (m === true ? 'met' : 'MISSED');
  return `${word(met)} (${word(metSettled)})`;
}

function printResults(results: readonly ScenarioResult[], repeat: number): void {
  const rows = results.map((r) => [
    r.engine,
    repeat > 1 ? `${r.client} #${r.run}` : r.client,
    r.outage.notReady === 0
      ? String(r.connections)
      : `${r.connections} (${r.connections - r.outage.notReady} ready)`,
    formatSummary(r.outage.downtime),
    formatSummary(r.outage.afterPromotion),
    String(r.outage.unrecovered),
    String(r.connectCalls),
    r.baselineP95Ms === undefined ? '-' : String(Math.round(r.baselineP95Ms)),
    r.windowBaseline === undefined ? '-' : String(Math.round(r.windowBaseline.afterPromotion.p95)),
    r.wakeUpMs === undefined ? '-' : formatSummary(r.wakeUpMs),
    verdict(r.targetMet, r.targetMetSettled),
  ]);
  console.log(
    formatTable(
      [
        'engine',
        'client',
        'conns',
        'downtime p50/p95/max ms',
        'after promotion p50/p95/max ms',
        'unrecovered',
        'connects',
        'baseline p95 ms (settled)',
        'baseline p95 ms (window)',
        'wake-up p50/p95/max ms',
        'target (settled baseline)',
      ],
      rows,
    ),
  );
  console.log('');
  for (const r of results) {
    console.log(`${r.engine} ${r.client} ×${r.connections}: errors ${formatErrors(r.outage.errors)}`);
    console.log(
      `  timeline: ${formatTimeline(
        r.timeline.map(({ atMs, ...e }) => ({ ...e, at: atMs })),
        0,
      )}`,
    );
    if (r.monitor !== undefined)
      console.log(
        `  monitor: panic at +${r.monitor.panicStartMs.join(', +') || '-'} ms, writer verified at +${r.monitor.writerVerifiedMs.join(', +') || '-'} ms`,
      );
    if (r.failoverError !== undefined) console.log(`  failover() failed: ${r.failoverError}`);
  }
  for (const engine of new Set(results.map((r) => r.engine)))
    for (const n of new Set(results.map((r) => r.connections))) {
      const plain = results.find((r) => r.engine === engine && r.connections === n && r.family === 'plain');
      const ha = results.find((r) => r.engine === engine && r.connections === n && r.family === 'aurora-ha');
      if (plain === undefined || ha === undefined) continue;
      const ratio = plain.outage.downtime.p95 / ha.outage.downtime.p95;
      console.log(
        `${engine} ×${n}: p95 downtime plain ${Math.round(plain.outage.downtime.p95)} ms vs aurora-ha ${Math.round(ha.outage.downtime.p95)} ms (${ratio.toFixed(1)}× shorter)`,
      );
    }
}

async function main(): Promise<number> {
  let config: BenchConfig | undefined;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(USAGE);
    return 2;
  }
  if (config === undefined) {
    console.log(USAGE);
    return 0;
  }
  const interrupt = listenForInterrupt('bench:failover');
  const results: ScenarioResult[] = [];
  let refused = 0;
  try {
    for (const engine of config.engines)
      for (const connections of config.connections)
        for (const family of config.families)
          for (let run = 1; run <= config.repeat; run++) {
            if (interrupt.signal.aborted) break;
            const label = `${engine} ${writeClient(engine, family, auroraOptions(config)).label} ×${connections}`;
            const nth = config.repeat > 1 ? `, run ${run} of ${config.repeat}` : '';
            console.log(`running ${label} (DNS lag ${config.dnsLagMs} ms${nth})…`);
            const result = {
              ...(await runScenario(config, engine, family, connections, interrupt.signal)),
              run,
            };
            const batches = result.connectBatch > 0 ? `batches of ${result.connectBatch}` : 'all at once';
            console.log(
              result.readyMs === undefined
                ? `  start-up (${batches}): ${connections - result.outage.notReady} of ${connections} ready when the warm-up bound ran out`
                : `  start-up (${batches}): ${connections} of ${connections} ready in ${result.readyMs} ms`,
            );
            if (result.outage.notReady > 0 && !config.allowPartial) {
              refused++;
              console.log(
                `  refused: ${result.outage.notReady} of ${connections} connections never wrote before the fault (errors: ${formatErrors(result.outage.errors)}); no figures reported for this scenario (--allow-partial reports them for the others only)`,
              );
              continue;
            }
            results.push(result);
            console.log(
              `  downtime p50/p95/max ${formatSummary(result.outage.downtime)} ms, after promotion ${formatSummary(result.outage.afterPromotion)} ms, unrecovered ${result.outage.unrecovered}`,
            );
            if (result.windowBaseline !== undefined)
              console.log(
                `  baseline during the window (opened ${result.windowBaseline.openedAfterPromotionMs} ms after the promotion): after promotion ${formatSummary(result.windowBaseline.afterPromotion)} ms, connect + write ${formatSummary(result.windowBaseline.connectToWrite)} ms${result.windowBaseline.failed > 0 ? `, ${result.windowBaseline.failed} failed` : ''}; settled baseline p95 ${result.baselineP95Ms === undefined ? '-' : Math.round(result.baselineP95Ms)} ms`,
              );
            if (result.outage.notReady > 0)
              console.log(
                `  warning: ${result.outage.notReady} of ${connections} connections never wrote before the fault (errors: ${formatErrors(result.outage.errors)}); the figures cover the others only`,
              );
          }
  } catch (err) {
    if (err instanceof EngineMissingError) {
      console.error(err.message);
      return 1;
    }
    console.error(`bench:failover failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted) return 130;
  console.log('');
  printResults(results, config.repeat);
  if (config.repeat > 1) printRepeatSummary(results);
  mkdirSync(dirname(config.out), { recursive: true });
  const { out, ...settings } = config;
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, settings, targetAfterPromotionP95Ms: TARGET_AFTER_PROMOTION_P95_MS, results }, null, 2)}\n`,
  );
  console.log(`\nresults: ${relative(process.cwd(), out)}`);
  if (refused > 0) {
    console.error(
      `bench:failover: ${refused} scenario(s) refused: not every connection was ready before the fault`,
    );
    return 1;
  }
  return 0;
}

exitWhenFlushed(await main());
