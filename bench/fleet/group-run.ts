/**
 * One group of bench:fleet on a fresh 3-instance cluster: P attached processes (children.ts)
 * of N paced writers each warm up (one process at a time, `connectBatch` connections in
 * flight), write steadily, then the parent fails the writer over and polls the processes until
 * every connection wrote after the promotion (or a bound). Then each process reports what it
 * saw (protocol.ts › StopReport) and, once the cluster settled, the same run's baseline: P × N
 * fresh plain connections opened at once to the new writer, N from each process. The parent is
 * the emulator's process: it counts the logins its fault proxies forward to each engine (one
 * upstream connect per client connection) and its own event-loop delay during the failover.
 */
import os from 'node:os';
import { now, sleep, within } from '../failover/clock.js';
import { ConnectCounter } from '../failover/connect-counter.js';
import { startClusterOrExplain } from '../failover/start-cluster.js';
import { summarize, type Summary } from '../failover/stats.js';
import type { AuroraOptions, ClientFamily, Engine } from '../failover/write-clients.js';
import { prepareClusterWritesTable } from '../failover/writes-table.js';
import { spawnFleet, type FleetChild } from './children.js';
import { failOverAndWait } from './fault.js';
import { engineAddress, peakByInstance, phaseSummaries, shortHost } from './measures.js';
import { peakPerSecond, peakPerSecondByKey } from './rates.js';
import type { FleetWindowBaseline } from './window-baseline.js';

export interface FleetGroup {
  /** `plain`, `failover`, `failover2`, `default` (no `plugins` option). */
  name: string;
  family: ClientFamily;
  options: AuroraOptions;
}

export interface FleetSettings {
  engine: Engine;
  processes: number;
  connections: number;
  dnsLagMs: number;
  writeIntervalMs: number;
  connectBatch: number;
  warmUpMs: number;
  steadyMs: number;
  maxAfterFaultMs: number;
}

export interface GroupResult {
  engine: Engine;
  group: string;
  processes: number;
  connections: number;
  ready: number;
  readyMs: number;
  newWriter: string | undefined;
  failoverError: string | undefined;
  promotedAfterFaultMs: number | undefined;
  /** Promotion → each connection's first good write after the fault. */
  afterPromotion: Summary;
  unrecovered: number;
  /** From the fault to the last connection's first good write (or the bound). */
  recoveryWindowMs: number;
  /** connect() calls to the cluster's port from every process in that window. */
  connects: number;
  /** aurora-ha:connect starts in that window, by purpose. */
  byPurpose: Record<string, number>;
  /** Busiest second of monitor / probe connects per instance (host), fleet-wide, in that window. */
  monitorPeakPerInstance: Record<string, number>;
  probePeakPerInstance: Record<string, number>;
  /** aurora-ha's own statements (topology, role checks, search re-checks), busiest second per instance. */
  queryPeakPerInstance: Record<string, number>;
  queriesTotal: number;
  /** Logins the new writer's proxy forwarded, busiest second: during the failover / the baseline. */
  newWriterLoginsPeak: number;
  baselineLoginsPeak: number | undefined;
  baseline: Summary | undefined;
  baselineFailed: number;
  /** The same engine's baseline during a failover window (window-baseline.ts), when measured. */
  window?: FleetWindowBaseline | undefined;
  /** aurora-ha:connect starts to the new writer in the failover window, by purpose. */
  newWriterByPurpose: Record<string, number>;
  /** The emulator process's event-loop delay over the failover window, ms (beyond the 10 ms sampling interval). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  panics: number;
  /** aurora-ha's failovers (aurora-ha:failover traces): time per phase over the connections, ms. */
  failoverPhases: Record<string, Summary>;
  /** failover2: promotion → each process's monitor verified the new writer (first time), ms. */
  verifiedAfterPromotion: Summary;
  errors: Record<string, number>;
  loadStart: number;
  loadEnd: number;
}

const SETTLED_BOUND_MS = 30_000;

export async function runGroup(
  settings: FleetSettings,
  group: FleetGroup,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<GroupResult> {
  const loadStart = os.loadavg()[0] ?? 0;
  const { engine, processes: p, connections: n } = settings;
  const cluster = await startClusterOrExplain({ engine, instances: 3, dnsLagMs: settings.dnsLagMs });
  let children: FleetChild[] = [];
  const logins = new ConnectCounter(cluster.writerEndpoint.port);
  try {
    const target = await prepareClusterWritesTable(engine, cluster);
    children = spawnFleet(
      p,
      {
        engine,
        family: group.family,
        options: group.options,
        target,
        connections: n,
        pacing: {
          writeIntervalMs: settings.writeIntervalMs,
          reconnectBackoffMs: 100,
          reconnectBackoffMaxMs: 1000,
        },
      },
      cluster.controlEndpoint,
    );
    // Start-up: one process at a time, `connectBatch` connections in flight.
    const warmStart = now();
    let ready = 0;
    for (const child of children) {
      if (signal.aborted) break;
      const boundMs = Math.max(1000, warmStart + settings.warmUpMs - now());
      ready += (await child.ask({ cmd: 'warm', batch: settings.connectBatch, boundMs }, 'ready')).ready;
    }
    const readyMs = Math.round(now() - warmStart);
    log(`  start-up: ${ready} of ${p * n} connections wrote once in ${readyMs} ms`);
    await sleep(settings.steadyMs, signal);

    const fault = await failOverAndWait(cluster, children, ready, settings.maxAfterFaultMs, signal);
    const { faultAt, promotedAt, pollEndedAt, newWriter, failoverError, reports } = fault;

    const firsts = reports.flatMap((r) => r.firstSuccessAfter.filter((t): t is number => t !== null));
    const unrecovered = reports.reduce((s, r) => s + r.unrecovered, 0);
    const windowEnd = unrecovered === 0 && firsts.length > 0 ? Math.max(...firsts) : pollEndedAt;
    const events = reports.flatMap((r) => r.connectEvents).filter((e) => e.t <= windowEnd);
    const queries = reports.flatMap((r) => r.queries.map((q) => ({ key: shortHost(q.h), t: q.t })));
    const byPurpose: Record<string, number> = {};
    for (const e of events) byPurpose[e.p] = (byPurpose[e.p] ?? 0) + 1;
    const errors: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const writer = cluster.instances().find((i) => i.role === 'writer');
    const writerEngine = writer === undefined ? undefined : engineAddress(writer.address);
    const newWriterLoginsPeak =
      writerEngine === undefined
        ? 0
        : peakPerSecond(logins.timesTo(writerEngine, faultAt, windowEnd), faultAt, windowEnd);

    // The same run's baseline, once the cluster settled.
    let baseline: Summary | undefined;
    let baselineFailed = 0;
    let baselineLoginsPeak: number | undefined;
    if (!signal.aborted && writer !== undefined && writerEngine !== undefined) {
      await within(cluster.settled(), SETTLED_BOUND_MS, undefined);
      const from = now();
      const answers = await Promise.all(
        children.map((c) => c.ask({ cmd: 'baseline', host: writer.host, n }, 'baseline')),
      );
      const to = now();
      baseline = summarize(answers.flatMap((a) => a.times));
      baselineFailed = answers.reduce((s, a) => s + a.failed, 0);
      baselineLoginsPeak = peakPerSecond(logins.timesTo(writerEngine, from, to), from, to);
    }
    const newWriterByPurpose: Record<string, number> = {};
    for (const e of events)
      if (newWriter !== undefined && shortHost(e.h) === newWriter)
        newWriterByPurpose[e.p] = (newWriterByPurpose[e.p] ?? 0) + 1;
    return {
      engine,
      group: group.name,
      processes: p,
      connections: n,
      ready,
      readyMs,
      newWriter,
      failoverError,
      promotedAfterFaultMs: promotedAt === undefined ? undefined : Math.round(promotedAt - faultAt),
      afterPromotion: summarize(promotedAt === undefined ? [] : firsts.map((t) => t - promotedAt)),
      unrecovered,
      recoveryWindowMs: Math.round(windowEnd - faultAt),
      connects: reports.reduce((s, r) => s + r.connectTimes.filter((t) => t <= windowEnd).length, 0),
      byPurpose,
      monitorPeakPerInstance: peakByInstance(events, 'monitor', faultAt, windowEnd),
      probePeakPerInstance: peakByInstance(events, 'probe', faultAt, windowEnd),
      queryPeakPerInstance: Object.fromEntries(peakPerSecondByKey(queries, faultAt, windowEnd)),
      queriesTotal: queries.filter((q) => q.t <= windowEnd).length,
      newWriterLoginsPeak,
      baselineLoginsPeak,
      newWriterByPurpose,
      baseline,
      baselineFailed,
      eventLoopDelayMs: fault.eventLoopDelayMs,
      panics: reports.reduce((s, r) => s + r.panicAt.length, 0),
      failoverPhases: phaseSummaries(reports.flatMap((r) => r.failoverPhases)),
      verifiedAfterPromotion: summarize(
        promotedAt === undefined
          ? []
          : reports.flatMap((r) =>
              r.verifiedAt.length === 0 ? [] : [Math.min(...r.verifiedAt) - promotedAt],
            ),
      ),
      errors,
      loadStart,
      loadEnd: os.loadavg()[0] ?? 0,
    };
  } finally {
    logins.stop();
    const codes = await Promise.all(children.map((c) => c.close()));
    codes.forEach((code, i) => {
      if (code !== 0) log(`  process ${i} exited with ${String(code)}: ${children[i]?.tail().trim() ?? ''}`);
    });
    await cluster.stop();
  }
}
