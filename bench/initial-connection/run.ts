/**
 * `npm run bench:initial-connection`: time to a *writable* new connection through the writer
 * cluster endpoint while DNS still names the old writer after a failover, plain driver vs
 * aurora-ha's initialConnection in the same run, on a fresh 3-instance emulated cluster per
 * scenario: `warm` (a live aurora-ha connection holds the topology; the old writer comes back as
 * a reader behind the writer endpoint) and `cold-kept-down` (first aurora-ha connection of the
 * process; the old writer stays down, the writer endpoint refuses). Prints a table and JSON.
 *
 *   npm run bench:initial-connection -- --engine postgres --dns-lag-ms 20000 --connections 20
 */
import { parseArgs } from 'node:util';
import { exitWhenFlushed } from '../failover/exit-when-flushed.js';
import { EngineMissingError, startClusterOrExplain } from '../failover/start-cluster.js';
import { runScenario, type ScenarioName, type ScenarioResult } from './scenario.js';

const USAGE = `usage: npm run bench:initial-connection -- [options]
  --engine postgres|mysql|all   engines (default all)
  --scenario warm|cold-kept-down|all  (default all)
  --dns-lag-ms N                cluster endpoint DNS lag after failover (default 20000)
  --connections N               aurora-ha connections opened one after another (default 20)
  --retry-ms N                  plain driver pause between attempts (default 100)`;

function int(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer\n${USAGE}`);
  return n;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

function ms(x: number | undefined): string {
  return x === undefined ? 'never' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`;
}

function row(r: ScenarioResult): string {
  const a = r.aurora;
  const rest = a.msToWritable.slice(1);
  return [
    r.engine,
    r.scenario,
    `${ms(r.plain.msToWritable)} (${r.plain.attempts} attempts)`,
    `${ms(a.msToConnected[0])} / ${ms(a.msToWritable[0])} / ${a.connects[0] ?? '-'} connects`,
    rest.length > 0 ? `${ms(median(rest))} / ${ms(Math.max(...rest))}` : '-',
    rest.length > 0 ? `${ms(median(a.msToConnected.slice(1)))}` : '-',
    rest.length > 0 ? `${Math.max(...a.connects.slice(1))}` : '-',
  ].join(' | ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'all' },
      scenario: { type: 'string', default: 'all' },
      'dns-lag-ms': { type: 'string' },
      connections: { type: 'string' },
      'retry-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const engines = values.engine === 'all' ? (['postgres', 'mysql'] as const) : [values.engine];
  const scenarios: ScenarioName[] =
    values.scenario === 'all' ? ['warm', 'cold-kept-down'] : [values.scenario as ScenarioName];
  const dnsLagMs = int(values['dns-lag-ms'], 20_000, 'dns-lag-ms');
  const connections = int(values.connections, 20, 'connections');
  const retryMs = int(values['retry-ms'], 100, 'retry-ms');
  const results: ScenarioResult[] = [];
  for (const engine of engines) {
    if (engine !== 'postgres' && engine !== 'mysql') throw new Error(`unknown engine ${engine}\n${USAGE}`);
    for (const scenario of scenarios) {
      if (scenario !== 'warm' && scenario !== 'cold-kept-down')
        throw new Error(`unknown scenario ${String(scenario)}\n${USAGE}`);
      const cluster = await startClusterOrExplain({ engine, instances: 3, dnsLagMs });
      try {
        const r = await runScenario(cluster, scenario, { connections, retryMs, dnsLagMs });
        results.push(r);
        console.error(`done: ${row(r)}`);
      } finally {
        await cluster.stop();
      }
    }
  }
  console.log(
    `\nDNS lag ${dnsLagMs / 1000} s; times from failover() returning (new writer accepts writes): to connect() resolved, and to a first successful write, through the writer endpoint. Connects = TCP connects tried (DNS lookups), refused ones included.\n`,
  );
  console.log(
    '| engine | scenario | plain driver (retry every ' +
      `${retryMs} ms) | aurora-ha 1st new connection: connected / written / connects | aurora-ha next ${connections - 1}: written median / max | next: connected median | next: max connects |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${row(r)} |`);
  console.log(`\n${JSON.stringify({ dnsLagMs, connections, retryMs, results })}`);
}

main().then(
  () => exitWhenFlushed(0),
  (err: unknown) => {
    console.error(err instanceof EngineMissingError ? err.message : err);
    exitWhenFlushed(1);
  },
);
