/**
 * The CPU cost of the pipeline itself, without the network: on a connected logical
 * connection, time `execute('query', run)` where `run` resolves at once, against calling
 * `run` directly. Short and CPU-bound, so it stays readable on a busy machine where the
 * wall-clock throughput figures swing by tens of percent.
 */
import { resolveConfig } from '../../src/config/parse-config.js';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { LogicalConnection } from '../../src/connection/logical-connection.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { median } from './measure.js';

const CALLS = 200_000;

async function nsPerCall(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call();
  return Number(process.hrtime.bigint() - start) / CALLS;
}

/** ns per call: direct `run()`, `plugins: []` pipeline, default plugins pipeline (medians of 5). */
export async function dispatchCost(config: Record<string, unknown>): Promise<Record<string, number>> {
  const none = new LogicalConnection(resolveConfig('postgres', { ...config, plugins: [] }), pgAdapter, []);
  const dfltConfig = resolveConfig('postgres', config);
  const dflt = new LogicalConnection(
    dfltConfig,
    pgAdapter,
    resolvePluginFactories(dfltConfig.options.plugins),
  );
  await Promise.all([none.open(), dflt.open()]);
  const done = Promise.resolve(1);
  const run = (): Promise<number> => done;
  const samples: Record<string, number[]> = { direct: [], 'plugins: []': [], 'default plugins': [] };
  try {
    for (let r = 0; r < 5; r++) {
      samples.direct?.push(await nsPerCall(run));
      samples['plugins: []']?.push(await nsPerCall(() => none.execute('query', run)));
      samples['default plugins']?.push(await nsPerCall(() => dflt.execute('query', () => run())));
    }
  } finally {
    await Promise.all([none.end(), dflt.end()]);
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(samples)) out[k] = median(v);
  return out;
}
