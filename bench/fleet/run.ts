/**
 * `npm run bench:fleet` (issue 25 part 2): a writer failover under a fleet of application
 * processes. One emulated 3-instance cluster per group (DNS lag 10 s by default), P processes
 * attached to it (`--import aurora-ha/emulator/attach`, from src through tsx), N paced writers
 * each through the writer endpoint (≤ 1,000 writes/s in total), then `cluster.failover()`.
 * Per group: promotion → first good write p50/p95/max against the same run's baseline (P × N
 * fresh connections at once to the new writer), unrecovered connections, connect() calls from
 * every process until all recovered, the new writer's logins per second, monitor / probe
 * connects per instance per second, the emulator's event-loop delay, the machine load.
 * Prints a markdown table; writes bench/results/fleet-<date>.json. Exits 1 when a group did
 * not recover every connection or fewer than P × N were ready before the fault.
 *
 *   npm run bench:fleet -- --processes 3 --connections 10 --engine postgres
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { exitWhenFlushed } from '../failover/exit-when-flushed.js';
import { listenForInterrupt } from '../failover/interrupt.js';
import { EngineMissingError } from '../failover/start-cluster.js';
import type { Engine } from '../failover/write-clients.js';
import { runGroup, type FleetGroup, type FleetSettings, type GroupResult } from './group-run.js';
import { formatResults } from './report.js';
import { fleetWindowBaseline } from './window-baseline.js';
import { formatSummary } from '../failover/stats.js';

const GROUPS: Readonly<Record<string, FleetGroup>> = {
  plain: { name: 'plain', family: 'plain', options: {} },
  failover: { name: 'failover', family: 'aurora-ha', options: { plugins: ['failover'] } },
  failover2: { name: 'failover2', family: 'failover2', options: {} },
  default: { name: 'default', family: 'aurora-ha', options: {} },
};

const USAGE = `usage: npm run bench:fleet -- [options]
  --processes P            attached application processes (default 10)
  --connections N          writer connections per process (default 50)
  --engine postgres|mysql|all   (default all)
  --plugins GROUPS         groups to run: plain, failover, failover2, default (no plugins
                           option) (default all four)
  --dns-lag-ms N           writer endpoint DNS lag after the promotion (default 10000)
  --write-interval-ms N    pause between a connection's writes (default max(20, P × N): ≤ 1,000 writes/s)
  --connect-batch N        connections in flight per process at start-up; the processes start
                           one after the other (default 25)
  --steady-ms N            steady state before the fault (default 3000)
  --warm-up-ms N           bound on the whole start-up (default max(30000, 60 × P × N))
  --reconnect-concurrency N
                           aurora-ha's failoverReconnectConcurrency in every aurora-ha group
                           (default: the library's)
  --window-baseline on|off also measure, once per engine on a fresh cluster, P × N fresh
                           connections opened at the promotion of a failover; the p95 target
                           is judged against it (default on)
  --out FILE               JSON output (default bench/results/fleet-<date>.json)`;

class UsageError extends Error {}

function count(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function choices(name: string, raw: string | undefined, allowed: readonly string[]): string[] {
  if (raw === undefined || raw === 'all') return [...allowed];
  const values = raw.split(',').map((v) => v.trim());
  for (const v of values)
    if (!allowed.includes(v))
      throw new UsageError(`--${name}: unknown value "${v}" (accepted: ${allowed.join(', ')}, all)`);
  return values;
}

interface Config {
  engines: Engine[];
  windowBaseline: boolean;
  groups: FleetGroup[];
  settings: Omit<FleetSettings, 'engine'>;
  out: string;
}

function parseConfig(argv: string[]): Config | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      processes: { type: 'string' },
      connections: { type: 'string' },
      engine: { type: 'string' },
      plugins: { type: 'string' },
      'dns-lag-ms': { type: 'string' },
      'write-interval-ms': { type: 'string' },
      'connect-batch': { type: 'string' },
      'steady-ms': { type: 'string' },
      'warm-up-ms': { type: 'string' },
      'window-baseline': { type: 'string' },
      'reconnect-concurrency': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const processes = count('processes', values.processes, 10, 1);
  const connections = count('connections', values.connections, 50, 1);
  const total = processes * connections;
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const dnsLagMs = count('dns-lag-ms', values['dns-lag-ms'], 10_000);
  return {
    engines: choices('engine', values.engine, ['postgres', 'mysql']) as Engine[],
    windowBaseline: choices('window-baseline', values['window-baseline'] ?? 'on', ['on', 'off'])[0] === 'on',
    groups: choices('plugins', values.plugins, Object.keys(GROUPS)).flatMap((g) => {
      const group = GROUPS[g];
      if (group === undefined) return [];
      const k = values['reconnect-concurrency'];
      return group.family === 'plain' || k === undefined
        ? [group]
        : [
            {
              ...group,
              options: {
                ...group.options,
                failoverReconnectConcurrency: count('reconnect-concurrency', k, 50, 1),
              },
            },
          ];
    }),
    settings: {
      processes,
      connections,
      dnsLagMs,
      writeIntervalMs: count('write-interval-ms', values['write-interval-ms'], Math.max(20, total)),
      connectBatch: count('connect-batch', values['connect-batch'], 25),
      steadyMs: count('steady-ms', values['steady-ms'], 3000),
      warmUpMs: count('warm-up-ms', values['warm-up-ms'], Math.max(30_000, 60 * total)),
      maxAfterFaultMs: dnsLagMs + 30_000,
    },
    out: values.out ?? join(import.meta.dirname, '..', 'results', `fleet-${stamp}.json`),
  };
}

/** Why the run exits non-zero (empty: it does not). */
function failures(results: readonly GroupResult[]): string[] {
  return results.flatMap((r) => {
    const total = r.processes * r.connections;
    const out: string[] = [];
    if (r.ready < total)
      out.push(
        `${r.engine} ${r.group}: ${total - r.ready} of ${total} connections not ready before the fault`,
      );
    if (r.unrecovered > 0) out.push(`${r.engine} ${r.group}: ${r.unrecovered} connections did not recover`);
    return out;
  });
}

async function main(): Promise<number> {
  let config: Config | undefined;
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
  const interrupt = listenForInterrupt('bench:fleet');
  const results: GroupResult[] = [];
  const { processes, connections, writeIntervalMs, dnsLagMs } = config.settings;
  try {
    for (const engine of config.engines)
      for (const group of config.groups) {
        if (interrupt.signal.aborted) break;
        console.log(
          `running ${engine} ${group.name}: ${processes} processes × ${connections} connections, a write every ${writeIntervalMs} ms each, DNS lag ${dnsLagMs} ms…`,
        );
        results.push(
          await runGroup({ ...config.settings, engine }, group, interrupt.signal, (line) =>
            console.log(line),
          ),
        );
      }
    // One window baseline per engine, after its groups; each targeted group is judged against it.
    if (config.windowBaseline)
      for (const engine of config.engines) {
        if (interrupt.signal.aborted) break;
        console.log(
          `running ${engine} window baseline: ${processes} × ${connections} fresh connections at the promotion…`,
        );
        const window = await fleetWindowBaseline({ ...config.settings, engine }, interrupt.signal);
        if (window !== undefined)
          console.log(
            `  promotion → first write ${formatSummary(window.afterPromotion)} ms (opened ≤ ${window.openedAfterPromotionMs} ms after it), connect + write ${formatSummary(window.connectToWrite)} ms, logins peak ${window.loginsPeak}/s, failed ${window.failed}`,
          );
        for (const r of results) if (r.engine === engine) r.window = window;
      }
  } catch (err) {
    if (err instanceof EngineMissingError) {
      console.error(err.message);
      return 1;
    }
    console.error(`bench:fleet failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted) return 130;
  console.log('');
  console.log(formatResults(results));
  mkdirSync(dirname(config.out), { recursive: true });
  writeFileSync(
    config.out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, settings: config.settings, results }, null, 2)}\n`,
  );
  console.log(`\nresults: ${relative(process.cwd(), config.out)}`);
  const failed = failures(results);
  for (const f of failed) console.error(`bench:fleet: ${f}`);
  return failed.length > 0 ? 1 : 0;
}

exitWhenFlushed(await main());
