// The host monitor's timing logic with a scripted prober (the real probe is exercised against
// real engines in test/integration/host-monitoring-*.test.ts): nothing happens before the
// grace, probes only while a call is overdue, `count` failures abort every call in flight,
// a successful probe resets the count, stop() ends everything.
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
  closes = 0;
  connected = false;
  constructor(
    private readonly alive: (n: number) => boolean,
    private readonly takesMs: (boundMs: number) => number,
  ) {}
  async probe(boundMs: number): Promise<boolean> {
    this.probes++;
    this.connected = true;
    await sleep(Math.min(boundMs, this.takesMs(boundMs)));
    return this.alive(this.probes);
  }
  async close(): Promise<void> {
    this.closes++;
    this.connected = false;
  }
}

/** Enough of a physical connection for the monitor: it only aborts. */
function connection(): PhysicalConnection & { aborted: number } {
  const conn = {
    host: makeHost('h', 1),
    native: undefined,
    closed: false,
    aborted: 0,
    queryRows: () => Promise.resolve([]),
    inTransaction: () => false,
    abort() {
      conn.aborted++;
      conn.closed = true;
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
    const started = performance.now();
    m.enter(a, owner);
    await sleep(50);
    m.enter(b, owner);
    await sleep(SETTINGS.graceMs - 80);
    expect(prober.probes).toBe(0);
    while (a.aborted === 0 && performance.now() - started < 2000) await sleep(5);
    const elapsed = performance.now() - started;
    expect(a.aborted).toBe(1);
    expect(b.aborted).toBe(1); // every call in flight on the host, not only the overdue one
    expect(elapsed).toBeGreaterThanOrEqual(detectionBoundMs(SETTINGS) - 10);
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
    for (let i = 0; i < 20; i++) {
      const call = m.enter(connection(), owner);
      await sleep(5);
      m.leave(call);
    }
    await sleep(SETTINGS.graceMs * 2);
    expect(prober.probes).toBe(0);
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
    const call = m.enter(conn, owner);
    await sleep(SETTINGS.graceMs + SETTINGS.intervalMs * 8);
    expect(prober.probes).toBeGreaterThanOrEqual(6);
    expect(conn.aborted).toBe(0);
    m.leave(call);
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
    m.enter(conn, owner);
    await sleep(SETTINGS.graceMs + 30);
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
