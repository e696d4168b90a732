/**
 * Failover v2 leaves nothing behind: a child `node` process (TypeScript through tsx) opens
 * several failover2 connections of one cluster (one topology monitor, which opens its own
 * connection), ends them all, and must then exit by itself shortly after the monitor's
 * linger, for pg and for mysql2/promise. The child serves the cluster's names itself with
 * the emulator's resolver (the cluster runs in this process).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { MONITOR_LINGER_MS } from '../../src/topology/topology-monitors.js';
import { useCluster } from '../support/cluster.js';

const pgCluster = useCluster({ engine: 'postgres', instances: 2 });
const mysqlCluster = useCluster({ engine: 'mysql', instances: 2 });

const SRC = resolve(import.meta.dirname, '../../src');
const dir = mkdtempSync(join(tmpdir(), 'aurora-ha-f2-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The child must exit within the linger plus this margin after printing `ended`. */
const EXIT_MARGIN_MS = 3000;

/** Name → loopback address of every name of the cluster, as it resolves now. */
function namesOf(c: EmulatedCluster): Record<string, string> {
  const out: Record<string, string> = {};
  const instances = c.instances();
  const writer = instances.find((i) => i.role === 'writer')!;
  const reader = instances.find((i) => i.role === 'reader') ?? writer;
  for (const i of instances) out[i.host.toLowerCase()] = i.address;
  out[c.writerEndpoint.host.toLowerCase()] = writer.address;
  out[c.readerEndpoint.host.toLowerCase()] = reader.address;
  return out;
}

function prelude(c: EmulatedCluster): string {
  return `import { registerNames } from ${JSON.stringify(`${SRC}/emulator/dns.ts`)};
import { liveMonitorKeys, monitorOf } from ${JSON.stringify(`${SRC}/topology/topology-monitors.ts`)};
const names = ${JSON.stringify(namesOf(c))};
registerNames((h) => names[h.toLowerCase()]);
const config = ${JSON.stringify({ host: c.writerEndpoint.host, port: c.writerEndpoint.port, ...c.credentials, plugins: ['failover2'] })};
`;
}

interface ChildRun {
  code: number | null;
  output: string;
  exitAfterEndMs: number | undefined;
}

function runChild(name: string, body: string): Promise<ChildRun> {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, body);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let endedAt: number | undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    killer.unref();
    const take = (d: Buffer): void => {
      output += d.toString();
      if (endedAt === undefined && output.includes('ended')) endedAt = Date.now();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolveRun({ code, output, exitAfterEndMs: endedAt === undefined ? undefined : Date.now() - endedAt });
    });
  });
}

function expectCleanExit(run: ChildRun): void {
  // One monitor, holding a connection of its own: the exit below is not for lack of sockets.
  expect(run.output).toContain('monitors 1 own true');
  expect(run.output).toContain('ended');
  expect(run.code, run.output).toBe(0);
  expect(run.exitAfterEndMs).toBeLessThan(MONITOR_LINGER_MS + EXIT_MARGIN_MS);
}

describe('failover v2: the process exits by itself after the last connection ended', () => {
  it('pg Client', async () => {
    const run = await runChild(
      'pg',
      `${prelude(pgCluster())}
import { Client } from ${JSON.stringify(`${SRC}/pg.ts`)};
const clients = Array.from({ length: 5 }, () => new Client(config));
await Promise.all(clients.map((c) => c.connect()));
await Promise.all(clients.map((c) => c.query('SELECT 1')));
// Let the monitor open its own connection and read the topology.
await new Promise((r) => setTimeout(r, 500));
console.log('monitors', liveMonitorKeys().length, 'own', monitorOf(liveMonitorKeys()[0]).connected);
await Promise.all(clients.map((c) => c.end()));
console.log('ended');
`,
    );
    expectCleanExit(run);
  });

  it('mysql2/promise connection', async () => {
    const run = await runChild(
      'mysql',
      `${prelude(mysqlCluster())}
import { createConnection } from ${JSON.stringify(`${SRC}/mysql2-promise.ts`)};
const conns = await Promise.all(Array.from({ length: 5 }, () => createConnection(config)));
await Promise.all(conns.map((c) => c.query('SELECT 1')));
await new Promise((r) => setTimeout(r, 500));
console.log('monitors', liveMonitorKeys().length, 'own', monitorOf(liveMonitorKeys()[0]).connected);
await Promise.all(conns.map((c) => c.end()));
console.log('ended');
`,
    );
    expectCleanExit(run);
  });
});
