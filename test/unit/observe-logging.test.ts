/**
 * Logging (issue 21 item 2) and the pure parts of observe/: NODE_DEBUG=aurora-ha with no option
 * (child process), the failover record's phases and its summary line, the topology diff, the
 * process-wide lines, and a logger that throws or rejects.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverRecord, failoverLine } from '../../src/observe/failover-record.js';
import { callLogger } from '../../src/observe/log.js';
import { connectLine, monitorLine, topologyLine, useLogger } from '../../src/observe/log-taps.js';
import { publishTopology } from '../../src/observe/channels.js';
import { topologyChanges } from '../../src/topology/topology-changes.js';
import { makeHost } from '../../src/drivers/host-info.js';

const CHILD = fileURLToPath(new URL('./observe-child.ts', import.meta.url));

function runChild(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, NODE_DEBUG: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status).toBe(0);
  return r.stderr;
}

afterEach(() => vi.restoreAllMocks());

describe('NODE_DEBUG=aurora-ha', () => {
  it('prints debug lines with no option, and nothing without it', () => {
    const on = runChild({ NODE_DEBUG: 'aurora-ha' });
    expect(on).toMatch(/AURORA-HA \d+: info topology c1: writer a:1 → b:1/);
    expect(on).toMatch(/AURORA-HA \d+: debug connect probe h:5: ok in \d+ ms/);
    expect(runChild({})).not.toContain('AURORA-HA');
  });
});

describe('failover record', () => {
  it('lists each entry into a phase in order (a phase entered again is a new entry), tiling the duration', () => {
    const r = new FailoverRecord(
      {
        connectionId: 17,
        clusterId: 'X',
        plugin: 'failover2',
        mode: 'strict-writer',
        trigger: 'network',
        oldHost: 'a:1',
      },
      1000,
    );
    r.enter('search', 1003);
    r.enter('reconnect', 1500);
    r.enter('search', 1520);
    r.enter('reconnect', 1583);
    // The base enters reconnect again after v2's search returned from its reconnect: no new entry.
    r.enter('reconnect', 1590);
    r.enter('restore', 1600);
    r.finish('FailoverSuccessError', 'b:1', 1612);
    expect(r.message.phases).toEqual([
      { name: 'detect', ms: 3 },
      { name: 'search', ms: 497 },
      { name: 'reconnect', ms: 20 },
      { name: 'search', ms: 63 },
      { name: 'reconnect', ms: 17 },
      { name: 'restore', ms: 12 },
    ]);
    expect(r.message.durationMs).toBe(612);
    expect(r.message.phases.reduce((n, p) => n + p.ms, 0)).toBe(612);
    expect(failoverLine(r.message)).toBe(
      'failover conn 17 cluster X: writer a:1 → b:1 in 612 ms (detect 3, search 497, reconnect 20, search 63, reconnect 17, restore 12); FailoverSuccessError',
    );
  });
});

describe('topology changes', () => {
  it('reports the writer, readers added / removed and availability', () => {
    const before = [
      makeHost('a', 1, { role: 'writer' }),
      makeHost('b', 1, { role: 'reader' }),
      makeHost('c', 1, { role: 'reader' }),
    ];
    const after = [
      makeHost('b', 1, { role: 'writer' }),
      makeHost('c', 1, { role: 'reader', availability: 'unavailable' }),
      makeHost('d', 1, { role: 'reader' }),
    ];
    expect(topologyChanges('k', before, after, 5)).toEqual([
      { event: 'writer-changed', clusterId: 'k', before: 'a:1', after: 'b:1', at: 5 },
      {
        event: 'readers-changed',
        clusterId: 'k',
        added: ['d:1'],
        removed: ['b:1'],
        readers: ['c:1', 'd:1'],
        at: 5,
      },
      {
        event: 'availability-changed',
        clusterId: 'k',
        host: 'c:1',
        before: 'available',
        after: 'unavailable',
        at: 5,
      },
    ]);
    expect(topologyChanges('k', after, after, 5)).toEqual([]);
  });
});

describe('log lines', () => {
  it('connect, topology and monitor lines, with their levels', () => {
    expect(
      connectLine({
        purpose: 'failover',
        host: 'h:1',
        connectionId: 3,
        outcome: 'Error',
        errorCode: 'ECONNREFUSED',
        durationMs: 4.4,
      }),
    ).toBe('connect failover conn 3 h:1: Error ECONNREFUSED in 4 ms');
    expect(topologyLine({ event: 'refreshed', clusterId: 'k', hosts: 3, at: 0 })).toEqual([
      'debug',
      'topology k: 3 hosts',
    ]);
    expect(monitorLine({ event: 'mode', clusterId: 'k', mode: 'panic', reason: 'waiters', at: 0 })[0]).toBe(
      'info',
    );
    expect(
      monitorLine({
        event: 'host-monitoring-abort',
        host: 'h:1',
        callsAborted: 2,
        detectionMs: 31000,
        at: 0,
      }),
    ).toEqual(['warn', 'host monitoring: h:1 declared unavailable, 2 call(s) aborted after 31000 ms']);
  });

  it('process-wide lines reach every logger in use once, and none after release', () => {
    const a = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const releaseA = useLogger(a);
    const releaseA2 = useLogger(a);
    publishTopology(() => ({ event: 'writer-changed', clusterId: 'k', before: 'x:1', after: 'y:1', at: 0 }));
    expect(a.info).toHaveBeenCalledTimes(1);
    releaseA();
    releaseA2();
    publishTopology(() => ({ event: 'writer-changed', clusterId: 'k', before: 'y:1', after: 'x:1', at: 0 }));
    expect(a.info).toHaveBeenCalledTimes(1);
  });

  it('a throwing or rejecting logger loses the line, and is reported once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const throwing = {
      debug: () => undefined,
      info: () => {
        throw new Error('logger bug');
      },
      warn: () => Promise.reject(new Error('async logger bug')),
      error: () => undefined,
    };
    expect(() => callLogger(throwing, 'info', 'x')).not.toThrow();
    callLogger(throwing, 'warn', 'y');
    await new Promise((r) => setImmediate(r));
    expect(
      warn.mock.calls.filter((c) => (c[1] as { code?: string }).code === 'AURORA_HA_LOGGER').length,
    ).toBeLessThanOrEqual(1);
  });

  it('a line never shows a connection string password', () => {
    const lines: string[] = [];
    const logger = { debug: (l: string) => void lines.push(l), info: () => 1, warn: () => 1, error: () => 1 };
    const release = useLogger(logger);
    publishTopology(() => ({ event: 'refreshed', clusterId: 'postgres://u:hunter2@h/db', hosts: 1, at: 0 }));
    release();
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
