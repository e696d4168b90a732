/**
 * Sample: fail the writer over while a load loop hits a service that runs in its own process,
 * attached to the emulator (docs/emulator.md, *Attach another process*).
 *
 *   npm run example:attach
 *
 * Starts an emulated Aurora PostgreSQL cluster (3 instances, 5 s DNS lag), starts
 * examples/attach-service.ts as a separate process with
 * `AURORA_HA_EMULATOR=<cluster.controlEndpoint> node --import aurora-ha/emulator/attach`,
 * hits it from 4 loops, fails the writer over after 2 s, and checks that every acknowledged hit
 * is stored once and that the service ends up on the new writer by its Aurora names.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startCluster } from 'aurora-ha/emulator';
import { Client } from 'aurora-ha/pg';

const LOOPS = 4;
const cluster = await startCluster({ engine: 'postgres', instances: 3, dnsLagMs: 5_000 });
const { user, password, database } = cluster.credentials;

// The service: its own process, attached by the command line only (tsx runs the TypeScript).
const service = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    'aurora-ha/emulator/attach',
    resolve(import.meta.dirname, 'attach-service.ts'),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      AURORA_HA_EMULATOR: cluster.controlEndpoint,
      DB_HOST: cluster.writerEndpoint.host,
      DB_PORT: String(cluster.writerEndpoint.port),
      DB_USER: user,
      DB_PASSWORD: password,
      DB_NAME: database,
    },
  },
);
const exited = once(service, 'exit');
let port = 0;
for await (const line of createInterface({ input: service.stdout })) {
  const match = /^listening (\d+)$/.exec(line);
  if (match) {
    port = Number(match[1]);
    break;
  }
}
if (port === 0) throw new Error('the service did not start');

const counts = { ok: 0, failed: 0, byInstance: {} as Record<string, number> };
let nextId = 1;
let running = true;
const acknowledged: number[] = [];

async function load(): Promise<void> {
  while (running) {
    const id = nextId++;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/hit?id=${id}`);
      if (!res.ok) throw new Error(await res.text());
      const { instance } = (await res.json()) as { instance: string };
      counts.ok++;
      counts.byInstance[instance] = (counts.byInstance[instance] ?? 0) + 1;
      acknowledged.push(id);
    } catch {
      counts.failed++;
    }
  }
}

const loops = Array.from({ length: LOOPS }, () => load());
await new Promise((r) => setTimeout(r, 2_000));
const before = { ...counts.byInstance };
const { newWriter } = await cluster.failover();
console.log(`failover: ${newWriter} is the writer; the load goes on`);
// Until the service has served hits from the new writer for a while (bounded).
for (let i = 0; i < 200 && (counts.byInstance[newWriter] ?? 0) < 100; i++) {
  await new Promise((r) => setTimeout(r, 100));
}
running = false;
await Promise.all(loops);
service.kill('SIGTERM');
await exited;

const check = new Client({ ...cluster.writerEndpoint, user, password, database });
await check.connect();
const { rows } = await check.query<{ n: string }>('SELECT count(*) AS n FROM hits WHERE id = ANY($1)', [
  acknowledged,
]);
await check.end();
await cluster.stop();

const stored = Number(rows[0]?.n);
const summary = { ...counts, before, newWriter, acknowledged: acknowledged.length, stored };
console.log(JSON.stringify(summary));
if (stored !== acknowledged.length || (counts.byInstance[newWriter] ?? 0) === 0) {
  console.error('FAILED: an acknowledged hit is missing, or the service never reached the new writer');
  process.exitCode = 1;
} else {
  console.log(
    `OK: ${counts.ok} hits acknowledged and stored (${counts.failed} failed during the failover), served by ${Object.keys(counts.byInstance).join(', ')}`,
  );
}
