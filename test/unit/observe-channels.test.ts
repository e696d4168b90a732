/**
 * The channel contract (src/observe/channels.ts): names, nothing built without a subscriber,
 * the connect trace's messages and outcome, and a throwing subscriber neither failing the
 * publishing code nor becoming an uncaught exception (one warning instead).
 */
import { channel, subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONNECT_CHANNEL,
  FAILOVER_CHANNEL,
  MONITOR_CHANNEL,
  TOPOLOGY_CHANNEL,
  publishMonitor,
  publishTopology,
  traceConnect,
  type ConnectMessage,
  type TopologyMessage,
} from '../../src/observe/channels.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  vi.restoreAllMocks();
});

function listen(name: string, fn: (m: unknown) => void): void {
  subscribe(name, fn);
  cleanups.push(() => unsubscribe(name, fn));
}

describe('aurora-ha channels', () => {
  it('has the documented names', () => {
    expect([FAILOVER_CHANNEL, CONNECT_CHANNEL, TOPOLOGY_CHANNEL, MONITOR_CHANNEL]).toEqual([
      'aurora-ha:failover',
      'aurora-ha:connect',
      'aurora-ha:topology',
      'aurora-ha:monitor',
    ]);
  });

  it('builds no message while nobody subscribes', () => {
    const make = vi.fn((): TopologyMessage => ({ event: 'refreshed', clusterId: 'c', hosts: 1, at: 0 }));
    publishTopology(make);
    publishMonitor(() => {
      throw new Error('must not run');
    });
    expect(make).not.toHaveBeenCalled();
  });

  it('publishes a built message to subscribers', () => {
    const got: unknown[] = [];
    listen(TOPOLOGY_CHANNEL, (m) => got.push(m));
    publishTopology(() => ({ event: 'refreshed', clusterId: 'c', hosts: 2, at: 1 }));
    expect(got).toEqual([{ event: 'refreshed', clusterId: 'c', hosts: 2, at: 1 }]);
  });

  it('traces a connect: start, end, asyncStart, asyncEnd with the outcome; result undefined', async () => {
    const tc = tracingChannel<unknown, ConnectMessage>(CONNECT_CHANNEL);
    const seen: string[] = [];
    const handlers = {
      start: (m: ConnectMessage) => seen.push(`start ${m.purpose} ${m.host} ${m.connectionId} ${m.outcome}`),
      end: () => seen.push('end'),
      asyncStart: (m: ConnectMessage) =>
        seen.push(`asyncStart ${m.outcome} ${(m as { result?: unknown }).result === undefined}`),
      asyncEnd: (m: ConnectMessage) => seen.push(`asyncEnd ${typeof m.durationMs}`),
      error: (m: ConnectMessage) => seen.push(`error ${m.outcome} ${m.errorCode}`),
    };
    tc.subscribe(handlers);
    cleanups.push(() => tc.unsubscribe(handlers));
    const conn = { secret: 'x' };
    await expect(traceConnect('probe', { host: 'h', port: 1 }, 7, async () => conn)).resolves.toBe(conn);
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    await expect(
      traceConnect('failover', { host: 'h', port: 2 }, undefined, async () => Promise.reject(refused)),
    ).rejects.toBe(refused);
    expect(seen).toEqual([
      'start probe h:1 7 undefined',
      'end',
      'asyncStart ok true',
      'asyncEnd number',
      'start failover h:2 undefined undefined',
      'end',
      'error Error ECONNREFUSED',
      'asyncStart Error true',
      'asyncEnd number',
    ]);
  });

  it('a throwing subscriber fails nothing and is reported once as a warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const uncaught = vi.fn();
    process.on('uncaughtException', uncaught);
    cleanups.push(() => process.off('uncaughtException', uncaught));
    const after: unknown[] = [];
    listen(MONITOR_CHANNEL, () => {
      throw new Error('subscriber bug');
    });
    listen(MONITOR_CHANNEL, (m) => after.push(m));
    listen(`tracing:${CONNECT_CHANNEL}:start`, () => {
      throw new Error('start bug');
    });
    publishMonitor(() => ({ event: 'mode', clusterId: 'c', mode: 'panic', reason: 'waiters', at: 0 }));
    publishMonitor(() => ({
      event: 'mode',
      clusterId: 'c',
      mode: 'normal',
      reason: 'writer-verified',
      at: 1,
    }));
    await expect(traceConnect('user', { host: 'h', port: 1 }, 1, async () => 5)).resolves.toBe(5);
    await new Promise((r) => setTimeout(r, 20));
    expect(after).toHaveLength(2);
    expect(uncaught).not.toHaveBeenCalled();
    expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('plain channel objects are the ones Node hands out by name', () => {
    expect(channel(TOPOLOGY_CHANNEL).hasSubscribers).toBe(false);
  });
});
