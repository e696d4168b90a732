// The host monitor's timing logic with a scripted prober and connections whose command in
// flight the test sets (the real probe and drivers are exercised against real engines in
// test/integration/host-monitoring-*.test.ts): nothing happens before the grace, probes only
// while one command has run past it (a stream of short commands never is), `count` failures
// abort every connection with a command in flight, a successful probe resets the count,
// unwatch() and stop() end everything.
import { describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { HostMonitor, type CallOwner, type Prober } from '../../src/plugins/host-monitoring/host-monitor.js';
import { detectionBoundMs } from '../../src/plugins/host-monitoring/monitor-settings.js';
import { hostMonitoringPluginFactory } from '../../src/plugins/host-monitoring/host-monitoring-plugin-factory.js';
import { resolveConfig } from '../../src/config/parse-config.js';
import { resolvePluginFactories } from '../../src/plugins/registry.js';
import { ConfigurationError } from '../../src/core/errors.js';

/** A prober whose answers follow a script; each probe takes `takesMs` (a silent host: the bound). */
class ScriptedProber implements Prober {
  probes = 0;
  /** `performance.now()` when the first probe started. */
  firstProbeAt: number | undefined;
  closes = 0;
  connected = false;
  /** Resolves as the first probe starts (a microtask later: before any timer can fire). */
  readonly firstProbe: Promise<void>;
  private probed!: () => void;
  constructor(
    private readonly alive: (n: number) => boolean,
    private readonly takesMs: (boundMs: number) => number,
  ) {
    this.firstProbe = new Promise((r) => (this.probed = r));
  }
  async probe(boundMs: number): Promise<boolean> {
    this.probes++;
    this.probed();
    this.firstProbeAt ??= performance.now();
    this.connected = true;
    await sleep(Math.min(boundMs, this.takesMs(boundMs)));
    return this.alive(this.probes);
  }
  async close(): Promise<void> {
    this.closes++;
    this.connected = false;
  }
}

/** Enough of a physical connection for the monitor: a command in flight the test sets, abort. */
type FakeConnection = Omit<PhysicalConnection, 'closed'> & {
  closed: boolean;
  aborted: number;
  command: object | undefined;
};

function connection(): FakeConnection {
  const conn: FakeConnection = {
    host: makeHost('h', 1),
    native: undefined,
    closed: false,
    aborted: 0,
    command: undefined,
    queryRows: () => Promise.resolve([]),
    inTransaction: () => false,
    activeCall: () => conn.command,
    abort() {
      conn.aborted++;
      conn.closed = true;
      conn.command = undefined;
    },
    close: () => Promise.resolve(),
    onError: () => undefined,
  };
  return conn;
}

const owner: CallOwner = { hostDeclaredUnavailable: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SETTINGS = { graceMs: 200, intervalMs: 100, count: 3 };

describe('HostMonitor', () => {
  it('a silent host: calls aborted after grace + interval × count, not before', async () => {
    const prober = new ScriptedProber(
      () => false,
      (bound) => bound,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const a = connection();
    const b = connection();
    const idle = connection();
    m.watch(a, owner);
    m.watch(b, owner);
    m.watch(idle, owner);
    const started = performance.now();
    a.command = {};
    await sleep(50);
    b.command = {};
    while (a.aborted === 0 && performance.now() - started < 2000) await sleep(5);
    const elapsed = performance.now() - started;
    // No probe before the first command had run for the grace: the time of the first probe, not
    // a count read after a sleep (a loaded machine oversleeps past the grace).
    expect(prober.firstProbeAt! - started).toBeGreaterThanOrEqual(SETTINGS.graceMs - 10);
    expect(a.aborted).toBe(1);
    expect(b.aborted).toBe(1); // every command in flight on the host, not only the overdue one
    expect(idle.aborted).toBe(0); // a connection with nothing in flight is left alone
    // Never before the grace plus `count` silent probes; at most one sampling period later.
    expect(elapsed).toBeGreaterThanOrEqual(SETTINGS.graceMs + SETTINGS.intervalMs * SETTINGS.count - 10);
    expect(elapsed).toBeLessThan(detectionBoundMs(SETTINGS) + 400);
    expect(m.stats()).toMatchObject({ detections: 1, probesSent: 3, callsInFlight: 0, unavailable: true });
    await sleep(50);
    expect(m.stats().probing).toBe(false);
    expect(prober.connected).toBe(false);
    await m.stop();
  });

  it('a call that ends before the grace causes no probe at all', async () => {
    const prober = new ScriptedProber(
      () => false,
      () => 0,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const conn = connection();
    m.watch(conn, owner);
    for (let i = 0; i < 20; i++) {
      conn.command = {};
      await sleep(5);
      conn.command = undefined;
    }
    await sleep(SETTINGS.graceMs * 2);
    expect(prober.probes).toBe(0);
    await m.stop();
  });

  it('a connection busy past the grace with a stream of short commands is not overdue', async () => {
    const prober = new ScriptedProber(
      () => false,
      () => 0,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const conn = connection();
    m.watch(conn, owner);
    const until = performance.now() + SETTINGS.graceMs * 3;
    // Never idle, but each command is a new one well within the grace.
    while (performance.now() < until) {
      conn.command = {};
      await sleep(m.sampleMs / 2);
    }
    expect(prober.probes).toBe(0);
    expect(conn.aborted).toBe(0);
    await m.stop();
  });

  it('unwatch() of the last connection stops sampling; nothing is kept for it', async () => {
    const prober = new ScriptedProber(
      () => false,
      () => 0,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const conn = connection();
    m.watch(conn, owner);
    conn.command = {};
    m.unwatch(conn);
    expect(m.stats()).toMatchObject({ connections: 0, callsInFlight: 0 });
    await sleep(SETTINGS.graceMs * 2);
    expect(prober.probes).toBe(0);
    expect(conn.aborted).toBe(0);
    await m.stop();
  });

  it('failures must be consecutive: a successful probe resets the count', async () => {
    // fail, fail, ok, fail, fail, ok ... never three in a row
    const prober = new ScriptedProber(
      (n) => n % 3 === 0,
      () => 1,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const conn = connection();
    m.watch(conn, owner);
    conn.command = {};
    await sleep(SETTINGS.graceMs + m.sampleMs + SETTINGS.intervalMs * 8);
    expect(prober.probes).toBeGreaterThanOrEqual(6);
    expect(conn.aborted).toBe(0);
    conn.command = undefined;
    await sleep(SETTINGS.intervalMs * 2);
    const probes = prober.probes;
    await sleep(SETTINGS.intervalMs * 3);
    expect(prober.probes).toBe(probes); // nothing overdue: probing stopped
    expect(prober.closes).toBeGreaterThan(0);
    await m.stop();
  });

  it('stop() ends a probe loop under way and aborts nothing', async () => {
    const prober = new ScriptedProber(
      () => false,
      (bound) => bound,
    );
    const m = new HostMonitor('k', SETTINGS, prober);
    const conn = connection();
    m.watch(conn, owner);
    conn.command = {};
    // Stop while the first probe is under way: as it starts, not after a fixed sleep (on a loaded
    // machine a sleep can end before the first probe, or after a second one started).
    await prober.firstProbe;
    await m.stop();
    await sleep(SETTINGS.intervalMs * 4);
    expect(conn.aborted).toBe(0);
    expect(prober.probes).toBe(1);
  });
});

describe('hostMonitoring options and place in the pipeline', () => {
  it('AWS names are aliases (ms), efm / efm2 select the plugin, which sits inside failover', () => {
    const config = resolveConfig('postgres', {
      host: 'h',
      plugins: ['efm2', 'failover'],
      failureDetectionTime: 6000,
      failureDetectionInterval: 1000,
      failureDetectionCount: 1,
    });
    expect(config.options).toMatchObject({
      plugins: ['hostMonitoring', 'failover'],
      failureDetectionTimeMs: 6000,
      failureDetectionIntervalMs: 1000,
      failureDetectionCount: 1,
      failureDetectionEnabled: true,
    });
    const order = resolvePluginFactories(config.options.plugins).map((f) => f.code);
    expect(order).toEqual(['failover', 'hostMonitoring']);
    expect(hostMonitoringPluginFactory.weight).toBeGreaterThan(200);
  });

  it('invalid values are rejected naming the option', () => {
    for (const [key, value, option] of [
      ['failureDetectionCount', 0, 'failureDetectionCount'],
      ['failureDetectionTimeMs', -1, 'failureDetectionTimeMs'],
      ['failureDetectionInterval', 'often', 'failureDetectionIntervalMs'],
      ['failureDetectionEnabled', 'maybe', 'failureDetectionEnabled'],
    ] as const) {
      let err: unknown;
      try {
        resolveConfig('postgres', { host: 'h', [key]: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe(option);
    }
  });
});
