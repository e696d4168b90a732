/**
 * Host monitoring benchmark: the writer goes silent (the emulator's silent failover: its
 * sockets stay open and mute while a reader is promoted) under a client writing in a loop;
 * measured is the time from the blackhole to the first successful write, for the plain driver
 * and for aurora-ha with and without host monitoring. A client still stuck after the cap
 * counts as "none within the cap" (the old writer is then healed, which ends its wait).
 *
 *   npm run bench:host-monitoring -- [--engine postgres|mysql] [--runs 3] [--cap-ms 20000]
 */
import os from 'node:os';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startCluster, type EmulatedCluster } from '../../src/emulator.js';
import { BENCH_TABLE, VARIANTS, type Variant } from './variants.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function writerId(c: EmulatedCluster): string {
  const w = c.instances().find((i) => i.role === 'writer');
  if (w === undefined) throw new Error('no writer');
  return w.id;
}

async function createTable(c: EmulatedCluster): Promise<void> {
  const { user, password, database } = c.credentials;
  const at = { host: c.writerEndpoint.host, port: c.writerEndpoint.port, user, password, database };
  if (c.engine === 'postgres') {
    const client = new pg.Client(at);
    await client.connect();
    await client.query(`CREATE TABLE IF NOT EXISTS ${BENCH_TABLE} (v int)`);
    await client.end();
    return;
  }
  const m = await mysql.createConnection(at);
  await m.query(`CREATE TABLE IF NOT EXISTS ${BENCH_TABLE} (v INT)`);
  await m.end();
}

/**
 * One run: warm up, silent failover, then the time from the moment the emulator blackholed the
 * writer (its timeline) to the end of the first successful write that *started* after it — a
 * write that started earlier may still have been answered by the old writer.
 */
async function once(c: EmulatedCluster, v: Variant, capMs: number): Promise<number | undefined> {
  const w = v.open(c);
  let stop = false;
  const done: { start: number; end: number }[] = [];
  const loop = (async () => {
    while (!stop) {
      const start = Date.now();
      try {
        await w.write();
        done.push({ start, end: Date.now() });
      } catch {
        // the variant already reconnects or repeats
      }
      await pause(20);
    }
  })();
  await pause(1500);
  const old = writerId(c);
  const eventsBefore = c.timeline().length;
  const failover = c.failover({ silent: true });
  const silentAt = (): number | undefined =>
    c
      .timeline()
      .slice(eventsBefore)
      .find((e) => e.kind === 'partitioned' && e.instanceId === old)?.at;
  const first = (): number | undefined => {
    const at = silentAt();
    if (at === undefined) return undefined;
    const ok = done.find((d) => d.start >= at);
    return ok === undefined ? undefined : ok.end - at;
  };
  const deadline = Date.now() + capMs;
  while (first() === undefined && Date.now() < deadline) await pause(20);
  await failover;
  c.heal(old); // ends the wait of a client still stuck on the old writer
  stop = true;
  await Promise.race([loop, pause(10_000)]);
  w.close();
  await c.settled();
  const result = first();
  return result !== undefined && result <= capMs ? result : undefined;
}

async function main(): Promise<void> {
  const engine = arg('engine', 'postgres');
  if (engine !== 'postgres' && engine !== 'mysql') throw new Error('--engine must be postgres or mysql');
  const runs = Number(arg('runs', '3'));
  const capMs = Number(arg('cap-ms', '20000'));
  process.stdout.write(
    `bench: ${engine}, ${runs} runs per client, cap ${capMs} ms, load ${os.loadavg()[0]?.toFixed(2)}\n`,
  );
  const c = await startCluster({ engine, instances: 3 });
  try {
    await createTable(c);
    for (const v of VARIANTS) {
      const times: (number | undefined)[] = [];
      for (let i = 0; i < runs; i++) times.push(await once(c, v, capMs));
      const shown = times.map((t) =>
        t === undefined ? `none in ${capMs / 1000} s` : `${(t / 1000).toFixed(2)} s`,
      );
      process.stdout.write(`  ${v.label.padEnd(52)} ${shown.join(', ')}\n`);
    }
  } finally {
    await c.stop();
  }
  process.stdout.write(`bench: done, load ${os.loadavg()[0]?.toFixed(2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
