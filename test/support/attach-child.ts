/**
 * Child process of test/emulator/attach*.test.ts, started with the attach module preloaded
 * (`--import src/emulator-attach.ts` or `--require src/emulator-attach-require.ts`) and
 * `AURORA_HA_EMULATOR` set. Prints one JSON line per step; never calls process.exit: it must
 * end by itself, its control connection still open.
 *
 *   node --import tsx --import src/emulator-attach.ts attach-child.ts failover '<spec JSON>'
 *   SCENARIO failover: resolves the names, connects a failover2 pg Client to the writer
 *     endpoint by name, queries through the failover the parent triggers, watches the writer
 *     endpoint switch, ends.
 *   SCENARIO drive: drives the cluster's faults from here (attachedCluster()): topology,
 *     failover, two refused calls, settled; then ends.
 *   SCENARIO commands: answers stdin lines (`lookup HOST`, `wait HOST ADDRESS`, `heal ID`:
 *     attachedCluster().heal(ID), reported when it settles) until stdin ends.
 */
import dns from 'node:dns';
import { lookup } from 'node:dns/promises';
import { createInterface } from 'node:readline';
import { AuroraHaError } from '../../src/core/errors.js';
import { attachedCluster } from '../../src/emulator/attach/attached-cluster.js';
import { Client } from '../../src/pg.js';

export interface AttachChildSpec {
  writerHost: string;
  readerHost: string;
  instanceHost: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The address or the error code, and how long the lookup took. */
async function promiseLookup(host: string): Promise<{ answer: string; ms: number }> {
  const t0 = performance.now();
  const answer = await lookup(host).then(
    (r) => r.address,
    (err: NodeJS.ErrnoException) => err.code ?? 'error',
  );
  return { answer, ms: performance.now() - t0 };
}

function callbackLookup(host: string): Promise<{ answer: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    dns.lookup(host, (err, address) =>
      resolve({ answer: err ? (err.code ?? 'error') : address, ms: performance.now() - t0 }),
    ),
  );
}

async function failover(spec: AttachChildSpec): Promise<void> {
  // The ESM entry waited for the first table (answered at once); a CommonJS preload cannot
  // wait: poll until the names answer (bounded), reporting how long it took.
  const t0 = Date.now();
  const firstAnswer = (await callbackLookup(spec.writerHost)).answer;
  let first = { answer: firstAnswer, ms: 0 };
  while (!/^\d+\.\d+\.\d+\.\d+$/.test(first.answer) && Date.now() - t0 < 5_000) {
    await sleep(5);
    first = await callbackLookup(spec.writerHost);
  }
  const readers = new Set<string>();
  for (let i = 0; i < 40; i++) readers.add((await promiseLookup(spec.readerHost)).answer);
  say({
    e: 'start',
    firstAnswer,
    waitedMs: Date.now() - t0,
    writer: first.answer,
    readers: [...readers].sort(),
    instance: (await promiseLookup(spec.instanceHost)).answer,
  });
  // What the writer endpoint answers, every 5 ms, reported on each change with the time.
  let current = first.answer;
  const watcher = setInterval(() => {
    dns.lookup(spec.writerHost, (err, address) => {
      const answer = err ? (err.code ?? 'error') : address;
      if (answer === current) return;
      current = answer;
      say({ e: 'writer', address: answer, at: Date.now() });
    });
  }, 5);
  const client = new Client({
    host: spec.writerHost,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    database: spec.database,
    plugins: ['failover2'],
    failoverTimeoutMs: 30_000,
    failoverClusterTopologyRefreshRateMs: 200,
    failoverWriterReconnectIntervalMs: 200,
  });
  await client.connect();
  const whoami = 'SELECT aurora_db_instance_identifier() AS id, pg_is_in_recovery() AS ro';
  const before = await client.query<{ id: string; ro: boolean }>(whoami);
  say({ e: 'connected', id: before.rows[0]?.id });
  let failedOver = false;
  for (let i = 0; i < 1200; i++) {
    try {
      const r = await client.query<{ id: string; ro: boolean }>(whoami);
      if (failedOver) {
        say({ e: 'after', id: r.rows[0]?.id, ro: r.rows[0]?.ro });
        break;
      }
    } catch (err) {
      const code = err instanceof AuroraHaError ? err.code : undefined;
      if (code !== 'FAILOVER_SUCCESS' && code !== 'TRANSACTION_RESOLUTION_UNKNOWN') throw err;
      failedOver = true;
      say({ e: 'failover-error', code });
    }
    await sleep(50);
  }
  // The writer endpoint switches dnsLagMs after the promotion: wait for it (bounded).
  const initial = first.answer;
  for (let i = 0; i < 400 && current === initial; i++) await sleep(25);
  clearInterval(watcher);
  await client.end();
  say({ e: 'ended' });
}

async function drive(spec: AttachChildSpec): Promise<void> {
  // A CommonJS preload did not wait for the table: calls need it.
  for (let i = 0; i < 1000 && !/^\d/.test((await promiseLookup(spec.writerHost)).answer); i++) await sleep(5);
  const cluster = attachedCluster();
  const writer = (await cluster.topology()).find((i) => i.role === 'writer');
  say({ e: 'topology', writer: writer?.id });
  // Nothing else holds this process open during the awaits: the pending call must.
  say({ e: 'failed-over', ...(await cluster.failover()) });
  const refusal = async (work: () => Promise<unknown>): Promise<Record<string, unknown>> =>
    work().then(
      () => ({ e: 'refused', code: 'none' }),
      (err: unknown) => ({
        e: 'refused',
        code: err instanceof AuroraHaError ? err.code : 'not an AuroraHaError',
        message: err instanceof Error ? err.message : String(err),
      }),
    );
  say(await refusal(() => cluster.crash('instance-99')));
  say(await refusal(() => cluster.latency(writer?.id ?? '', -5)));
  await cluster.settled();
  say({ e: 'settled' });
}

async function commands(): Promise<void> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    const [cmd, host = '', want] = line.trim().split(/\s+/);
    if (cmd === 'heal') {
      // Not awaited: the parent decides when (and whether) the call settles.
      void attachedCluster()
        .heal(host)
        .then(
          () => say({ e: 'healed', code: 'none' }),
          (err: unknown) => say({ e: 'healed', code: err instanceof AuroraHaError ? err.code : String(err) }),
        );
    } else if (cmd === 'lookup') {
      say({ e: 'lookup', promise: await promiseLookup(host), callback: await callbackLookup(host) });
    } else if (cmd === 'wait') {
      // Polls until the name answers `want` (at most 10 s), then reports how long it took.
      const t0 = Date.now();
      let answer = '';
      while (Date.now() - t0 < 10_000) {
        answer = (await promiseLookup(host)).answer;
        if (answer === want) break;
        await sleep(5);
      }
      say({ e: 'waited', answer, ms: Date.now() - t0 });
    }
  }
}

const scenario = process.argv[2];
const spec = JSON.parse(process.argv[3] ?? '{}') as AttachChildSpec;
if (scenario === 'failover') await failover(spec);
else if (scenario === 'drive') await drive(spec);
else await commands();
