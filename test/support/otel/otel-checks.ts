/**
 * The OpenTelemetry failover test's child runner and checks, shared by its CommonJS and ESM
 * cases (test/integration/otel-failover.test.ts): start the child (otel-child.cjs / .mjs, the
 * application otel-app.cjs) with `node --import otel-setup.mjs`, fail the writer over while its
 * 10 workers run, read its report, and check it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { expect } from 'vitest';
import type { EmulatedCluster } from '../../../src/emulator.js';
import { mysqlConfig, namesOf, pgConfig } from '../cluster.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
const SETUP = resolve(ROOT, 'test/support/otel/otel-setup.mjs');
const WORKERS = 10;

interface Point {
  attributes: Record<string, string | number>;
  value: number | { count: number; sum: number; min?: number; max?: number };
}
export interface Report {
  app: {
    configuredHost: string;
    statements: number;
    ok: number;
    errors: Record<string, number>;
    failoverEvents: { success: number; failed: number };
    failoverCommandAt: number;
    lastOutcomeAt: number;
    recoveredAt: number;
  };
  spans: {
    total: number;
    appStatements: number;
    dbQuerySpans: number;
    internal: { name: string; text: string; parent: string | null }[];
    wrongHost: unknown[];
    perStatement: Record<string, Record<string, number>>;
    connects: {
      underApp: number;
      other: number;
      otherNames: Record<string, number>;
      byParent: Record<string, number>;
    };
    failovers: {
      parent: string | null;
      parentId: string | null;
      links: ({
        name: string;
        scope: string | undefined;
        host: string | undefined;
        status: number;
        parentId: string | null;
        endedAfterStartMs: number;
      } | null)[];
      connects: number;
      start: number;
      end: number;
      durationMs: number;
      attributes: Record<string, unknown>;
      events: { name: string; at: number; ms: number }[];
      status: number;
    }[];
    searches: { root: boolean; durationMs: number; attributes: Record<string, unknown>; events: string[] }[];
    sample: unknown;
  };
  metrics: { aurora: Record<string, { unit: string; points: Point[] }>; allNames: string[] };
  mysql2Channel: { total: number; user: number; other: string[]; connects: number };
}

const procs: ChildProcessByStdio<Writable, Readable, Readable>[] = [];

/** Kill the children still running (the test file's afterAll). */
export function killChildren(): void {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
}

/**
 * The application's module system: the CommonJS build (require hooks), the ESM one with the
 * instrumentations' ESM loader hook registered, or the ESM one without it.
 */
export type ModuleKind = 'cjs' | 'esm' | 'esm-no-hook';

/** Run the child on `c` through one writer failover; its report. */
export async function runChild(
  engine: 'postgres' | 'mysql',
  c: EmulatedCluster,
  plugin: string,
  module: ModuleKind,
): Promise<Report> {
  const cfg = engine === 'mysql' ? mysqlConfig(c) : pgConfig(c);
  const settings = {
    root: ROOT,
    module,
    engine,
    plugin,
    workers: WORKERS,
    names: namesOf(c),
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
  };
  const child = resolve(ROOT, `test/support/otel/otel-child.${module === 'cjs' ? 'cjs' : 'mjs'}`);
  const proc = spawn(process.execPath, ['--import', SETUP, child], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_CHILD: JSON.stringify(settings) },
  });
  procs.push(proc);
  let output = '';
  const messages: Record<string, unknown>[] = [];
  let pending = '';
  proc.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('@@')) messages.push(JSON.parse(line.slice(2)) as Record<string, unknown>);
    }
  });
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const said = async (key: string, ms: number): Promise<Record<string, unknown> | undefined> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const m = messages.find((x) => key in x);
      if (m !== undefined) return m;
      if (messages.some((x) => 'fatal' in x) || proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return messages.find((x) => key in x);
  };
  expect(await said('ready', 30_000), `child never ready:\n${output}`).toBeDefined();
  const failoverAt = Date.now();
  // The child notes the command time when it reads this line: crash the writer only once it has
  // (its workers may notice the crash before a busy event loop reads its stdin).
  proc.stdin.write('failover\n');
  expect(await said('armed', 30_000), `child never armed:\n${output}`).toBeDefined();
  const failover = c.failover();
  let dnsSent = false;
  const until = Date.now() + 30_000;
  while (Date.now() < until && !dnsSent) {
    if (c.timeline().some((e) => e.at >= failoverAt && e.kind === 'dns-switched')) {
      dnsSent = true;
      proc.stdin.write(`names ${JSON.stringify(namesOf(c))}\n`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await said('recovered', 30_000), `workers never recovered:\n${output}`).toBeDefined();
  await failover;
  await new Promise((r) => setTimeout(r, 1500)); // statements after the failover
  proc.stdin.write('stop\n');
  const report = (await said('report', 30_000))?.report as Report | undefined;
  expect(report, `no report:\n${output}`).toBeDefined();
  return report!;
}

function pointsOf(r: Report, name: string): Point[] {
  return r.metrics.aurora[name]?.points ?? [];
}
function sum(points: Point[], pick: (p: Point) => boolean = () => true): number {
  return points.filter(pick).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
}

/** Every check of issue 21's Done means on one report. */
export function check(r: Report, plugin: string): void {
  // Our own queries: no driver span, no mysql2 channel event.
  expect(r.spans.internal, 'driver spans outside any user statement (aurora-ha internal work)').toEqual([]);
  expect(r.mysql2Channel.other, 'mysql2:query events of aurora-ha statements').toEqual([]);
  expect(
    r.spans.connects.otherNames,
    'driver connect spans outside the user calls (monitor, probes)',
  ).toEqual({});
  // Exactly one driver span per successful user statement, before and after; on the right host.
  for (const [key, dist] of Object.entries(r.spans.perStatement)) {
    if (key.endsWith('/ok')) expect(Object.keys(dist), `spans per statement, ${key}`).toEqual(['1']);
    else
      for (const n of Object.keys(dist))
        expect(Number(n), `spans per failed statement, ${key}`).toBeLessThanOrEqual(1);
  }
  expect(Object.keys(r.spans.perStatement).some((k) => k.startsWith('before/'))).toBe(true);
  expect(Object.keys(r.spans.perStatement).some((k) => k.startsWith('after/'))).toBe(true);
  expect(r.spans.wrongHost).toEqual([]);
  // Failover metrics = what the application saw.
  const count = pointsOf(r, 'aurora_ha.failover.count');
  const ok = sum(count, (p) => p.attributes.outcome !== 'FailoverFailedError');
  const failed = sum(count, (p) => p.attributes.outcome === 'FailoverFailedError');
  expect(ok).toBe(r.app.failoverEvents.success);
  expect(failed).toBe(r.app.failoverEvents.failed);
  expect(ok).toBeGreaterThan(0);
  for (const p of count) {
    expect(p.attributes.plugin).toBe(plugin);
    expect(p.attributes.mode).toBe('strict-writer');
    expect(typeof p.attributes.cluster).toBe('string');
  }
  const hist = pointsOf(r, 'aurora_ha.failover.duration');
  expect(r.metrics.aurora['aurora_ha.failover.duration']?.unit).toBe('s');
  const histCount = sum(hist);
  const histSum = hist.reduce((n, p) => n + (typeof p.value === 'number' ? 0 : p.value.sum), 0);
  expect(histCount).toBe(ok + failed);
  expect(r.spans.failovers.length).toBe(ok + failed);
  const spanSumS = r.spans.failovers.reduce((n, f) => n + f.durationMs, 0) / 1000;
  expect(Math.abs(histSum - spanSumS)).toBeLessThan(0.01 * r.spans.failovers.length + 0.001);
  for (const f of r.spans.failovers) {
    expect(f.start).toBeGreaterThanOrEqual(r.app.failoverCommandAt - 5);
    expect(f.end).toBeLessThanOrEqual(r.app.lastOutcomeAt + 50);
    expect(f.events.length).toBeGreaterThan(0);
  }
  checkFailoverSpans(r);
  expect(sum(pointsOf(r, 'aurora_ha.connection.opens'))).toBeGreaterThan(0);
  expect(sum(pointsOf(r, 'aurora_ha.topology.refreshes'))).toBeGreaterThan(0);
  expect(pointsOf(r, 'aurora_ha.connection.open').length).toBeGreaterThan(0);
  expect(r.metrics.allNames.filter((n) => n.startsWith('aurora_ha.') && n.includes('db.client'))).toEqual([]);
  if (plugin === 'failover') expect(r.mysql2Channel.user).toBeGreaterThan(0);
  if (plugin === 'failover2') {
    expect(sum(pointsOf(r, 'aurora_ha.monitor.panics'))).toBeGreaterThan(0);
    expect(r.spans.searches.length).toBeGreaterThan(0);
    for (const s of r.spans.searches) expect(s.root).toBe(true);
  }
}

/** SpanStatusCode.ERROR */
const ERROR = 2;

/**
 * Each failover span: under the user's span (an `app.*` span: the statement, or the checkout of
 * a pool connection found lost while idle); started by a failed statement (trigger network /
 * read-only): exactly one link, to that statement's driver span — ended with an error, on the
 * failover's old host, under the same user span; found at idle loss (nothing sent): no link. The
 * failover's driver connect spans are its children, none sits directly under a user statement.
 */
function checkFailoverSpans(r: Report): void {
  for (const f of r.spans.failovers) {
    const what = `failover span ${JSON.stringify({ ...f, events: undefined })}`;
    expect(f.parent, `${what}: parent`).toMatch(/^app\./);
    const trigger = f.attributes['aurora_ha.failover.trigger'];
    if (trigger !== 'network' && trigger !== 'read-only') {
      expect(f.links, `${what}: links (no statement was sent)`).toEqual([]);
      continue;
    }
    expect(f.links.length, `${what}: links`).toBe(1);
    const l = f.links[0];
    expect(l, `${what}: the linked span was exported`).toBeTruthy();
    if (l == null) continue;
    expect(l.scope, `${what}: linked span's scope`).toMatch(/^@opentelemetry\/instrumentation-(pg|mysql2)$/);
    expect(l.status, `${what}: linked span's status`).toBe(ERROR);
    const oldHost = String(f.attributes['aurora_ha.failover.old_host']).replace(/:\d+$/, '');
    // The instance, or the endpoint the connection was opened with (that resolved to it).
    expect([oldHost, r.app.configuredHost], `${what}: linked span's host`).toContain(l.host);
    expect(l.parentId, `${what}: linked span's parent = the failover's`).toBe(f.parentId);
  }
  expect(
    r.spans.failovers.some((f) => f.links.length === 1),
    'a failover linked to its statement',
  ).toBe(true);
  // The failover's reconnect is its child (instrumentation-mysql2 has no connect spans).
  if (Object.keys(r.spans.connects.byParent).length > 0)
    for (const f of r.spans.failovers)
      if (f.attributes['aurora_ha.failover.outcome'] !== 'FailoverFailedError')
        expect(f.connects, 'driver connect spans under the failover span').toBeGreaterThan(0);
}

export function summary(r: Report): Record<string, unknown> {
  return {
    app: r.app,
    perStatement: r.spans.perStatement,
    internalSpans: r.spans.internal.length,
    dbQuerySpans: r.spans.dbQuerySpans,
    connects: r.spans.connects,
    mysql2Channel: {
      total: r.mysql2Channel.total,
      user: r.mysql2Channel.user,
      other: r.mysql2Channel.other.length,
      connects: r.mysql2Channel.connects,
    },
    failoverSpans: r.spans.failovers.map((f) => ({
      parent: f.parent,
      trigger: f.attributes['aurora_ha.failover.trigger'],
      links: f.links,
      connects: f.connects,
      ms: Math.round(f.durationMs),
      events: f.events,
      attrs: f.attributes,
    })),
    searches: r.spans.searches,
    metrics: r.metrics.aurora,
    sample: r.spans.sample,
  };
}
