/**
 * The CPU cost of the pipeline itself, without the network: on a connected logical
 * connection, the process CPU time of `execute('query', run)` where `run` resolves at once, against calling
 * `run` directly, for `plugins: []`, the default plugins and each list of CPU_PLUGIN_SETS.
 * Short and CPU-bound, so it stays readable on a busy machine where the wall-clock
 * throughput figures swing by tens of percent. Variants alternate within each of 5 rounds.
 */
import { resolveConfig } from '../../src/config/parse-config.js';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { LogicalConnection } from '../../src/connection/logical-connection.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { CPU_PLUGIN_SETS } from './cpu.js';
import { median } from './measure.js';

const CALLS = 100_000;

/** Process CPU time (not wall clock: the machine may be shared) per call, in ns. */
async function nsPerCall(call: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await call();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / CALLS;
}

function connection(config: Record<string, unknown>): LogicalConnection {
  const resolved = resolveConfig('postgres', config);
  return new LogicalConnection(resolved, pgAdapter, resolvePluginFactories(resolved.options.plugins));
}

/** ns per call: direct `run()`, then each plugin list's pipeline (medians of 5 rounds). */
export async function dispatchCost(config: Record<string, unknown>): Promise<Record<string, number>> {
  const connections: Record<string, LogicalConnection> = {
    'default plugins': connection(config),
  };
  for (const [name, plugins] of Object.entries(CPU_PLUGIN_SETS)) {
    connections[name] = connection({ ...config, plugins: [...plugins] });
  }
  await Promise.all(Object.values(connections).map((c) => c.open()));
  const done = Promise.resolve(1);
  const run = (): Promise<number> => done;
  const samples: Record<string, number[]> = { 'direct run()': [] };
  for (const name of Object.keys(connections)) samples[name] = [];
  try {
    for (let r = 0; r < 5; r++) {
      samples['direct run()']?.push(await nsPerCall(run));
      for (const [name, lc] of Object.entries(connections)) {
        samples[name]?.push(await nsPerCall(() => lc.execute('query', run)));
      }
    }
  } finally {
    await Promise.all(Object.values(connections).map((c) => c.end()));
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(samples)) out[k] = median(v);
  return out;
}
