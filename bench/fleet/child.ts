/**
 * One application process of bench:fleet, started by the parent with the attach module
 * preloaded (`node --import tsx --import src/emulator-attach.ts child.ts '<ChildSpec JSON>'`,
 * `AURORA_HA_EMULATOR` set): it resolves the cluster's Aurora names from the emulator's control
 * endpoint like any attached application. It runs `connections` paced writers through the
 * writer endpoint (bench/failover's worker loop and clients), counts its own connect() calls
 * to the cluster's port (bench/failover/connect-counter.ts) and the aurora-ha:connect /
 * aurora-ha:monitor messages it publishes, and answers the parent's commands (protocol.ts).
 * Ends when its stdin ends: workers stopped, sessions closed, then an explicit exit once the
 * output is flushed (exit-when-flushed.ts explains why).
 */
import diagnostics from 'node:diagnostics_channel';
import { setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { freshConnectTimes } from '../failover/baseline.js';
import { now, sleep, within } from '../failover/clock.js';
import { ConnectCounter } from '../failover/connect-counter.js';
import { exitWhenFlushed } from '../failover/exit-when-flushed.js';
import { workerOutage } from '../failover/outage.js';
import { runWorker, WorkerRecord } from '../failover/worker-loop.js';
import { writeClient } from '../failover/write-clients.js';
import type { ChildSpec, Command, ConnectEvent, Reply } from './protocol.js';
import { QueryCounter } from './query-counter.js';

const POLL_MS = 50;
const STOP_BOUND_MS = 5_000;

const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
const client = writeClient(spec.engine, spec.family, spec.options);
const say = (reply: Reply): void => {
  process.stdout.write(`${JSON.stringify(reply)}\n`);
};

const counter = new ConnectCounter(spec.target.port);
const queries = new QueryCounter();
const connectEvents: ConnectEvent[] = [];
const onConnectStart = (message: unknown): void => {
  const m = message as { purpose?: unknown; host?: unknown };
  connectEvents.push({ p: String(m.purpose), h: String(m.host), t: Date.now() });
};
const failoverPhases: Record<string, number>[] = [];
const onFailoverEnd = (message: unknown): void => {
  const phases = (message as { phases?: unknown }).phases;
  if (!Array.isArray(phases)) return;
  const spent: Record<string, number> = {};
  for (const phase of phases as { name?: unknown; ms?: unknown }[])
    if (typeof phase.name === 'string' && typeof phase.ms === 'number')
      spent[phase.name] = (spent[phase.name] ?? 0) + phase.ms;
  failoverPhases.push(spent);
};
const panicAt: number[] = [];
const verifiedAt: number[] = [];
const onMonitor = (message: unknown): void => {
  const m = message as { event?: unknown; mode?: unknown; at?: unknown };
  const at = typeof m.at === 'number' ? m.at : Date.now();
  if (m.event === 'mode' && m.mode === 'panic') panicAt.push(at);
  if (m.event === 'writer-verified') verifiedAt.push(at);
};
diagnostics.subscribe('tracing:aurora-ha:connect:start', onConnectStart);
diagnostics.subscribe('aurora-ha:monitor', onMonitor);
diagnostics.subscribe('tracing:aurora-ha:failover:asyncEnd', onFailoverEnd);

const stop = new AbortController();
setMaxListeners(spec.connections + 10, stop.signal);
const records = Array.from({ length: spec.connections }, (_, i) => new WorkerRecord('fleet', i));
const workers: Promise<void>[] = [];

async function warm(batch: number, boundMs: number): Promise<void> {
  const startedAt = now();
  const until = startedAt + boundMs;
  const step = batch > 0 ? batch : records.length;
  for (let i = 0; i < records.length; i += step) {
    const wave = records.slice(i, i + step);
    for (const record of wave) workers.push(runWorker(client, spec.target, record, spec.pacing, stop.signal));
    while (now() < until && wave.some((r) => r.successes.length === 0)) await sleep(POLL_MS);
  }
  const ready = records.filter((r) => r.successes.length > 0).length;
  say({ e: 'ready', ready, ms: Math.round(now() - startedAt) });
}

async function stopAndReport(faultAt: number, promotedAt: number | undefined): Promise<void> {
  stop.abort();
  await within(Promise.all(workers), STOP_BOUND_MS, []);
  const outages = records.map((r) => workerOutage(r, faultAt, promotedAt));
  const errors: Record<string, number> = {};
  for (const r of records) for (const e of r.errors) errors[e.kind] = (errors[e.kind] ?? 0) + 1;
  // The first good write after the fault, not workerOutage's longest gap: the figure is "from
  // promotion to the first good write".
  const firstAfter = records.map((r) => r.successes.find((t) => t > faultAt) ?? null);
  say({
    e: 'stopped',
    firstSuccessAfter: outages.map((o, i) => (o.ready ? (firstAfter[i] ?? null) : null)),
    lastSuccessBefore: outages.map((o) => o.lastSuccessBefore ?? null),
    notReady: outages.filter((o) => !o.ready).length,
    unrecovered: outages.filter((o, i) => o.ready && firstAfter[i] === null).length,
    errors,
    connectTimes: counter.timesBetween(faultAt, Number.POSITIVE_INFINITY),
    connectEvents: connectEvents.filter((e) => e.t >= faultAt),
    queries: queries.samples.filter((q) => q.t >= faultAt).map((q) => ({ h: q.host, t: q.t })),
    failoverPhases,
    panicAt: panicAt.filter((t) => t >= faultAt),
    verifiedAt: verifiedAt.filter((t) => t >= faultAt),
  });
}

async function handle(command: Command): Promise<void> {
  switch (command.cmd) {
    case 'warm':
      return warm(command.batch, command.boundMs);
    case 'status': {
      const ready = records.filter((r) => r.successes.length > 0).length;
      const recovered = records.filter((r) => (r.successes.at(-1) ?? 0) > command.since).length;
      say({ e: 'status', recovered, ready });
      return;
    }
    case 'stop':
      return stopAndReport(command.faultAt, command.promotedAt);
    case 'baseline': {
      const startedAt = Date.now();
      const { times, failed } = await freshConnectTimes(spec.engine, command.host, spec.target, command.n);
      say({ e: 'baseline', times, failed, startedAt, endedAt: Date.now() });
      return;
    }
  }
}

async function main(): Promise<number> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      await handle(JSON.parse(line) as Command);
    }
    return 0;
  } catch (err) {
    say({ e: 'fatal', message: err instanceof Error ? err.message : String(err) });
    return 1;
  } finally {
    stop.abort();
    await within(Promise.all(workers), STOP_BOUND_MS, []);
    counter.stop();
    queries.stop();
    diagnostics.unsubscribe('tracing:aurora-ha:connect:start', onConnectStart);
    diagnostics.unsubscribe('aurora-ha:monitor', onMonitor);
    diagnostics.unsubscribe('tracing:aurora-ha:failover:asyncEnd', onFailoverEnd);
  }
}

exitWhenFlushed(await main());
