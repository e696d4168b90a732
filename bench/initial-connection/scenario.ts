/**
 * One benchmark scenario on a fresh cluster: fail the writer over (DNS lag still running), then,
 * from the moment the new writer accepts writes, race the plain driver (reconnect through DNS
 * every `retryMs` until a write succeeds) against aurora-ha (`connections` new connections opened
 * one after another, each timed to its first successful write, connects counted).
 */
import type { EmulatedCluster } from '../../src/emulator.js';
import { auroraWritable, createWritesTable, plainWritable } from './clients.js';
import { counted, installConnectCounter } from './connect-counter.js';

export type ScenarioName = 'warm' | 'cold-kept-down';

export interface ScenarioResult {
  scenario: ScenarioName;
  engine: string;
  plain: { msToWritable: number | undefined; attempts: number; connects: number };
  aurora: { msToConnected: number[]; msToWritable: number[]; connects: number[] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function plainUntilWritable(
  c: EmulatedCluster,
  retryMs: number,
  giveUpAt: number,
): Promise<ScenarioResult['plain']> {
  const started = performance.now();
  const counter = { connects: 0 };
  let attempts = 0;
  while (Date.now() < giveUpAt) {
    attempts++;
    try {
      await counted(counter, () => plainWritable(c));
      return { msToWritable: performance.now() - started, attempts, connects: counter.connects };
    } catch {
      await sleep(retryMs);
    }
  }
  return { msToWritable: undefined, attempts, connects: counter.connects };
}

async function auroraConnections(c: EmulatedCluster, n: number): Promise<ScenarioResult['aurora']> {
  const out: ScenarioResult['aurora'] = { msToConnected: [], msToWritable: [], connects: [] };
  const opened: { end(): Promise<void> }[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const counter = { connects: 0 };
      const started = performance.now();
      let connectedAt = NaN;
      opened.push(await counted(counter, () => auroraWritable(c, () => (connectedAt = performance.now()))));
      out.msToConnected.push(connectedAt - started);
      out.msToWritable.push(performance.now() - started);
      out.connects.push(counter.connects);
    }
  } finally {
    await Promise.all(opened.map((o) => o.end().catch(() => undefined)));
  }
  return out;
}

export async function runScenario(
  c: EmulatedCluster,
  scenario: ScenarioName,
  options: { connections: number; retryMs: number; dnsLagMs: number },
): Promise<ScenarioResult> {
  await createWritesTable(c);
  const warm = scenario === 'warm' ? await auroraWritable(c) : undefined;
  const stopCounting = installConnectCounter();
  try {
    await c.failover(scenario === 'cold-kept-down' ? { keepOldWriterDown: true } : {});
    const giveUpAt = Date.now() + options.dnsLagMs + 15_000;
    const [plain, aurora] = await Promise.all([
      plainUntilWritable(c, options.retryMs, giveUpAt),
      auroraConnections(c, options.connections),
    ]);
    return { scenario, engine: c.engine, plain, aurora };
  } finally {
    stopCounting();
    await warm?.end();
  }
}
