/**
 * Issue 21, the channel messages observability-suite.ts does not reach, on a real cluster, one
 * body for both engines (observability-coverage-pg / -mysql give the clients):
 * - the default plugins through the writer cluster endpoint: the failover and the monitor name
 *   instances, never the endpoint (payload, log lines, FailoverSuccessError.newHost);
 * - reader failover modes (`reader-or-writer`, `strict-reader`; v1 and v2) off a reset reader;
 * - the `aurora-ha:connect` purposes `initial`, `pool` and `probe`, with host and outcome;
 * - `host-monitoring-abort` on a silent (blackholed) reader, with its warn line;
 * - a failed failover (every instance refusing, a short failoverTimeoutMs): the warn line and
 *   the payload's outcome. Last: nothing after it depends on how the cluster comes back.
 */
import { afterEach, expect, it } from 'vitest';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import type { FailoverMessage } from '../../src/observe/channels.js';
import { getClusterStatus } from '../../src/topology/cluster-status.js';
import { useCluster } from './cluster.js';
import { FAST_FAILOVER, rejection } from './failover-harness.js';
import { DETECTION } from './host-monitoring-suite.js';
import {
  captureAll,
  collectingLogger,
  type LogLine,
  type ObsClient,
  type ObsOps,
  type ObsPool,
} from './observability-capture.js';

const PLUGINS = ['failover', 'failover2'] as const;
const READER_MODES = ['reader-or-writer', 'strict-reader'] as const;
/** How the failover line names each mode (observe/failover-record.ts). */
const MODE_WORD = {
  'strict-writer': 'writer',
  'reader-or-writer': 'reader-or-writer',
  'strict-reader': 'reader',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The one failover line of connection `m.connectionId`, as failover-record.ts writes it. */
function expectFailoverLine(lines: readonly LogLine[], m: FailoverMessage): void {
  const own = lines.filter((l) => l.line.startsWith(`failover conn ${m.connectionId} `));
  expect(own).toHaveLength(1);
  const failed = m.outcome === 'FailoverFailedError';
  expect(own[0]!.level).toBe(failed ? 'warn' : 'info');
  const phases = m.phases.map((p) => `${p.name} \\d+`).join(', ');
  expect(own[0]!.line).toMatch(
    new RegExp(
      `^failover conn ${m.connectionId} cluster ${escaped(m.clusterId)}: ${MODE_WORD[m.mode]} ` +
        `${escaped(m.oldHost ?? '(unknown)')} → ${escaped(m.newHost ?? '(none)')} in \\d+ ms \\(${phases}\\); ${m.outcome}$`,
    ),
  );
}

/** The phase entries tile the failover (failover-record.ts). */
function expectTiled(m: FailoverMessage): void {
  const sum = m.phases.reduce((n, p) => n + p.ms, 0);
  expect(Math.abs(sum - m.durationMs!)).toBeLessThan(1);
  const names = m.phases.map((p) => p.name);
  expect(names[0]).toBe('detect');
  // One entry per phase entered: never the same phase twice in a row.
  names.forEach((n, i) => expect(n).not.toBe(names[i - 1]));
}

export function observabilityCoverageSuite<C extends ObsClient>(ops: ObsOps<C>): void {
  const cluster = useCluster({ engine: ops.engine, instances: 3 });
  const cleanups: (() => void)[] = [];
  const opened: (C | ObsPool)[] = [];
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((c) => c.end()));
    for (const c of cleanups.splice(0)) c();
  });

  function open(c: EmulatedCluster, options: Record<string, unknown>, host?: string): C {
    const client = ops.make(c, options, host);
    opened.push(client);
    return client;
  }

  const hostOf = (c: EmulatedCluster, host: string): string => `${host}:${c.writerEndpoint.port}`;

  it('default plugins through the writer endpoint: the failover and the monitor name instances, the initial connect the endpoint', async () => {
    const c = cluster();
    await c.settled();
    const seen = captureAll(cleanups);
    const { logger, lines } = collectingLogger();
    const client = open(c, { ...FAST_FAILOVER, logger });
    await client.connect();
    await ops.run(client, 'SELECT 1');
    const oldWriter = c.instances().find((i) => i.role === 'writer')!;
    const endpoint = hostOf(c, c.writerEndpoint.host);
    // initialConnection opened it, through the endpoint (what the socket was opened to).
    const initial = seen.connects.asyncEnd.filter((m) => m.purpose === 'initial');
    expect(initial.length).toBeGreaterThanOrEqual(1);
    expect(initial[0]).toMatchObject({ host: endpoint, outcome: 'ok' });
    expect(initial[0]!.connectionId).toBeGreaterThan(0);
    expect(lines).toContainEqual({
      level: 'debug',
      line: expect.stringMatching(
        new RegExp(`^connect initial conn ${initial[0]!.connectionId} ${escaped(endpoint)}: ok in \\d+ ms$`),
      ),
    });

    // Counted on the instance it was identified as, not on the endpoint (open-connections.ts).
    const status = getClusterStatus({ host: c.writerEndpoint.host, port: c.writerEndpoint.port });
    expect(status.writer).toMatchObject({ host: hostOf(c, oldWriter.host), openConnections: 1 });
    expect(status.openConnectionsOnTarget).toBe(0);

    const { newWriter } = await c.failover();
    const newHost = hostOf(c, c.instances().find((i) => i.id === newWriter)!.host);
    const err = await rejection(ops.run(client, 'SELECT 2'));
    await ops.run(client, 'SELECT 3');

    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect((err as FailoverSuccessError).newHost).toBe(newHost);
    expect(seen.failovers.asyncEnd).toHaveLength(1);
    const m = seen.failovers.asyncEnd[0]!;
    expect(m).toMatchObject({
      plugin: 'failover2',
      mode: 'strict-writer',
      oldHost: hostOf(c, oldWriter.host),
      newHost,
      outcome: 'FailoverSuccessError',
    });
    expectTiled(m);
    expectFailoverLine(lines, m);
    // The monitor verified an instance, whether it probed the instances or (no topology read
    // yet) the endpoint the connection was given.
    const verified = seen.monitor.filter((x) => x.event === 'writer-verified');
    expect(verified.length).toBeGreaterThanOrEqual(1);
    for (const v of verified) expect(v).toMatchObject({ writer: newHost });
    expect(lines).toContainEqual({
      level: 'info',
      line: expect.stringMatching(
        new RegExp(`^monitor \\S+: writer ${escaped(newHost)} verified after \\d+ ms of search$`),
      ),
    });
    expect(lines.some((l) => l.line.includes(c.writerEndpoint.host) && l.line.startsWith('failover'))).toBe(
      false,
    );
  });

  it('reader failover modes, v1 and v2, off a reader that resets: mode, old / new host, phases, the log line', async () => {
    const c = cluster();
    await c.settled();
    const seen = captureAll(cleanups);
    const { logger, lines } = collectingLogger();
    const reader = c.instances().find((i) => i.role === 'reader')!;
    const combos = PLUGINS.flatMap((plugin) => READER_MODES.map((mode) => ({ plugin, mode })));
    const clients = combos.map(({ plugin, mode }) =>
      // The read in flight ends in the failover outcome the coverage expects (not sent again).
      open(
        c,
        { ...FAST_FAILOVER, plugins: [plugin], failoverMode: mode, logger, retryReadsOnFailover: false },
        reader.host,
      ),
    );
    await Promise.all(clients.map((x) => x.connect()));
    for (const x of clients) await ops.run(x, 'SELECT 1');

    c.partition(reader.id, { mode: 'reset' });
    let errors: unknown[];
    try {
      errors = await Promise.all(clients.map((x) => rejection(ops.run(x, 'SELECT 2'))));
    } finally {
      c.heal(reader.id);
    }

    expect(seen.failovers.asyncEnd).toHaveLength(combos.length);
    const live = new Map(c.instances().map((i) => [hostOf(c, i.host), i.role]));
    combos.forEach(({ plugin, mode }, i) => {
      const m = seen.failovers.asyncEnd.find((x) => x.plugin === plugin && x.mode === mode)!;
      expect(m).toBeDefined();
      expect(['network', 'idle-loss']).toContain(m.trigger);
      expect(m.oldHost).toBe(hostOf(c, reader.host));
      expect(m.newHost).not.toBe(m.oldHost);
      expect(m.outcome).toBe('FailoverSuccessError');
      expect(errors[i]).toBeInstanceOf(FailoverSuccessError);
      expect((errors[i] as FailoverSuccessError).newHost).toBe(m.newHost);
      // strict-reader lands on a reader; reader-or-writer on any instance but the reset one.
      if (mode === 'strict-reader') expect(live.get(m.newHost!)).toBe('reader');
      else expect(['reader', 'writer']).toContain(live.get(m.newHost!));
      const names = m.phases.map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['detect', 'search', 'restore']));
      expect(names).not.toContain('rollback');
      expectTiled(m);
      expectFailoverLine(lines, m);
      // Its connect to the replacement, on the failover's own connection id.
      expect(
        seen.connects.asyncEnd.some(
          (x) =>
            x.purpose === 'failover' &&
            x.connectionId === m.connectionId &&
            x.host === m.newHost &&
            x.outcome === 'ok',
        ),
      ).toBe(true);
    });
  });

  it('aurora-ha:connect purpose pool (and initial for a pool with the default plugins): host, connection id, outcome, the debug line', async () => {
    const c = cluster();
    await c.settled();
    const seen = captureAll(cleanups);
    const { logger, lines } = collectingLogger();
    const endpoint = hostOf(c, c.writerEndpoint.host);
    const plain = ops.makePool(c, { ...FAST_FAILOVER, plugins: ['failover2'], logger });
    const initial = ops.makePool(c, { ...FAST_FAILOVER, logger });
    opened.push(plain, initial);
    await plain.query('SELECT 1');
    const pooled = seen.connects.asyncEnd.filter((m) => m.purpose === 'pool');
    expect(pooled.length).toBeGreaterThanOrEqual(1);
    for (const m of pooled) {
      expect(m).toMatchObject({ host: endpoint, outcome: 'ok', errorCode: undefined });
      expect(m.connectionId).toBeGreaterThan(0);
      expect(m.durationMs).toBeGreaterThanOrEqual(0);
      expect(lines).toContainEqual({
        level: 'debug',
        line: expect.stringMatching(
          new RegExp(`^connect pool conn ${m.connectionId} ${escaped(endpoint)}: ok in \\d+ ms$`),
        ),
      });
    }
    const before = seen.connects.asyncEnd.length;
    await initial.query('SELECT 1');
    const opening = seen.connects.asyncEnd.slice(before).filter((m) => m.connectionId !== undefined);
    // initialConnection opens a pool's connection itself: published as `initial`, never `pool`.
    expect(opening.length).toBeGreaterThanOrEqual(1);
    for (const m of opening) expect(m.purpose).toBe('initial');
    // To the writer the process's topology names, or through the endpoint when it knows none.
    const writer = hostOf(c, c.instances().find((i) => i.role === 'writer')!.host);
    expect(opening.some((m) => [writer, endpoint].includes(m.host) && m.outcome === 'ok')).toBe(true);
  });

  it("host-monitoring-abort on a silent reader, with its warn line, and the monitor's probe connects (purpose probe)", async () => {
    const c = cluster();
    await c.settled();
    const seen = captureAll(cleanups);
    const { logger, lines } = collectingLogger();
    const reader = c.instances().find((i) => i.role === 'reader')!;
    const host = hostOf(c, reader.host);
    const client = open(
      c,
      {
        ...FAST_FAILOVER,
        ...DETECTION,
        plugins: ['failover', 'hostMonitoring'],
        failoverMode: 'reader-or-writer',
        logger,
        // The aborted call ends in the failover outcome the coverage expects (not sent again).
        retryReadsOnFailover: false,
      },
      reader.host,
    );
    await client.connect();
    await ops.run(client, 'SELECT 1');
    const sleepSql = ops.engine === 'postgres' ? 'SELECT pg_sleep(0.3)' : 'SELECT SLEEP(0.3)';
    const call = rejection(ops.run(client, sleepSql));
    await sleep(100);
    c.partition(reader.id, { mode: 'blackhole' });
    let err: unknown;
    try {
      err = await call;
    } finally {
      c.heal(reader.id);
    }
    expect(err).toBeInstanceOf(FailoverSuccessError);

    const aborts = seen.monitor.filter((m) => m.event === 'host-monitoring-abort');
    expect(aborts).toHaveLength(1);
    const abort = aborts[0]!;
    expect(abort).toMatchObject({ host, callsAborted: 1 });
    if (abort.event !== 'host-monitoring-abort') throw new Error('unreachable');
    // Not before the grace and the failed probes (host-monitoring-suite.ts measures the bound).
    expect(abort.detectionMs).toBeGreaterThanOrEqual(DETECTION.failureDetectionTimeMs);
    expect(lines).toContainEqual({
      level: 'warn',
      line: `host monitoring: ${host} declared unavailable, 1 call(s) aborted after ${Math.round(abort.detectionMs!)} ms`,
    });
    // The probe is the monitor's own (no connection id), opened to the address the monitor
    // watches (the socket's remote address: a moved DNS name cannot mislead it); the silent
    // host never lets one through.
    const probes = seen.connects.asyncEnd.filter((m) => m.purpose === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(1);
    for (const m of probes) {
      expect(m.host).toBe(hostOf(c, reader.address));
      expect(m.connectionId).toBeUndefined();
      expect(typeof m.outcome).toBe('string');
    }
    expect(probes.some((m) => m.outcome !== 'ok')).toBe(true);
    for (const m of probes) {
      expect(lines).toContainEqual({
        level: 'debug',
        line: expect.stringMatching(new RegExp(`^connect probe ${escaped(m.host)}: ${escaped(m.outcome!)}`)),
      });
    }
    // The failover that followed names the silent reader.
    const m = seen.failovers.asyncEnd.find((x) => x.oldHost === host);
    expect(m).toMatchObject({ mode: 'reader-or-writer', outcome: 'FailoverSuccessError' });
  });

  it('a failed failover (every instance refusing, failoverTimeoutMs 2000), v1 and v2: outcome FailoverFailedError, the warn line', async () => {
    const c = cluster();
    await c.settled();
    const seen = captureAll(cleanups);
    const { logger, lines } = collectingLogger();
    const writer = c.instances().find((i) => i.role === 'writer')!;
    const timeoutMs = 2000;
    const clients = PLUGINS.map((plugin) =>
      open(c, { ...FAST_FAILOVER, failoverTimeoutMs: timeoutMs, plugins: [plugin], logger }),
    );
    await Promise.all(clients.map((x) => x.connect()));
    for (const x of clients) await ops.run(x, 'SELECT 1');
    const ids = c.instances().map((i) => i.id);
    for (const id of ids) c.partition(id, { mode: 'refuse' });
    let errors: unknown[];
    try {
      errors = await Promise.all(clients.map((x) => rejection(ops.run(x, 'SELECT 2'))));
    } finally {
      for (const id of ids) c.heal(id);
    }
    for (const e of errors) expect(e).toBeInstanceOf(FailoverFailedError);
    expect(seen.failovers.asyncEnd).toHaveLength(PLUGINS.length);
    for (const plugin of PLUGINS) {
      const m = seen.failovers.asyncEnd.find((x) => x.plugin === plugin)!;
      expect(m).toMatchObject({
        mode: 'strict-writer',
        oldHost: hostOf(c, writer.host),
        newHost: undefined,
        outcome: 'FailoverFailedError',
      });
      expect(m.error).toBeInstanceOf(FailoverFailedError);
      // The budget ran out: failoverTimeoutMs from the failover's start (detect is before it),
      // less the up to 1 ms a setTimeout may fire early against performance.now().
      expect(m.durationMs!).toBeGreaterThanOrEqual(timeoutMs - 1);
      expectTiled(m);
      expectFailoverLine(lines, m);
    }
    await c.settled();
  });
}
