/**
 * Issue 21 on a real cluster, one body for both engines (observability-pg / -mysql give the
 * client): three connections (failover2, then failover v1) through a writer crash, with every aurora-ha channel
 * subscribed, a collecting logger, a throwing logger on one connection and a throwing
 * subscriber. Checks each channel's payloads against what the application saw, the one log
 * line per failover, getClusterStatus before and after, and that no password appears in any
 * message or line (util.inspect of everything).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { afterEach, expect, it, vi } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { MONITOR_CHANNEL } from '../../src/observe/channels.js';
import { getClusterStatus } from '../../src/topology/cluster-status.js';
import { FAST_FAILOVER, rejection } from './failover-harness.js';
import { useCluster } from './cluster.js';
import { captureAll, collectingLogger, type ObsClient, type ObsOps } from './observability-capture.js';

export function observabilitySuite<C extends ObsClient>(ops: ObsOps<C>): void {
  const cluster = useCluster({ engine: ops.engine, instances: 3 });
  const cleanups: (() => void)[] = [];
  const clients: C[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.end()));
    for (const c of cleanups.splice(0)) c();
    vi.restoreAllMocks();
  });

  for (const plugin of ['failover2', 'failover'] as const)
    it(`a writer crash under three ${plugin} connections: channels, log lines, getClusterStatus, no secret`, async () => {
      const c = cluster();
      // The previous test's failover: wait for the emulator's recovery (old writer back as a reader).
      await c.settled();
      const warnings = vi.spyOn(process, 'emitWarning');
      const uncaught = vi.fn();
      process.on('uncaughtException', uncaught);
      cleanups.push(() => process.off('uncaughtException', uncaught));
      const { failovers, connects, topology, monitor } = captureAll(cleanups);
      const boom = (): void => {
        throw new Error('subscriber bug');
      };
      subscribe(MONITOR_CHANNEL, boom);
      cleanups.push(() => unsubscribe(MONITOR_CHANNEL, boom));
      const { logger, lines } = collectingLogger();
      const throwing = {
        debug: () => {
          throw new Error('logger bug');
        },
        info: () => {
          throw new Error('logger bug');
        },
        warn: () => {
          throw new Error('logger bug');
        },
        error: () => {
          throw new Error('logger bug');
        },
      };
      const options = { ...FAST_FAILOVER, plugins: [plugin] };
      const a = ops.make(c, { ...options, logger });
      const b = ops.make(c, { ...options, logger });
      const t = ops.make(c, { ...options, logger: throwing });
      clients.push(a, b, t);
      await Promise.all(clients.map((x) => x.connect()));
      for (const x of clients) await ops.run(x, 'SELECT 1');

      const oldWriter = c.instances().find((i) => i.role === 'writer')!;
      const port = c.writerEndpoint.port;
      const before = getClusterStatus({ host: c.writerEndpoint.host, port });
      expect(before.known).toBe(true);
      expect(before.writer?.host).toBe(`${oldWriter.host}:${port}`);
      // After the previous test's failover the old writer may still be rejoining as a reader.
      expect(before.readers.length).toBeGreaterThanOrEqual(1);
      expect(before.writer?.openConnections).toBe(3);
      if (plugin === 'failover2') expect(before.monitor?.mode).toBe('normal');
      expect(before.lastRefreshAt).toBeGreaterThan(0);
      expect(getClusterStatus(`${c.writerEndpoint.host}:${port}`).clusterId).toBe(before.clusterId);

      const { newWriter } = await c.failover();
      const newHost = c.instances().find((i) => i.id === newWriter)!.host;
      const started = performance.now();
      const errors = await Promise.all(clients.map((x) => rejection(ops.run(x, 'SELECT 2'))));
      const measured = performance.now() - started;
      for (const e of errors) expect(e).toBeInstanceOf(FailoverSuccessError);
      for (const x of clients) await ops.run(x, 'SELECT 3');

      // aurora-ha:failover: one per connection, complete, consistent with what the calls saw.
      expect(failovers.start).toHaveLength(3);
      expect(failovers.asyncEnd).toHaveLength(3);
      expect(new Set(failovers.asyncEnd.map((m) => m.connectionId)).size).toBe(3);
      for (const m of failovers.asyncEnd) {
        expect(m.plugin).toBe(plugin);
        expect(m.mode).toBe('strict-writer');
        // Idle since SELECT 1: the socket's loss is noted and the next call fails over unsent.
        expect(['network', 'idle-loss']).toContain(m.trigger);
        expect(m.oldHost).toBe(`${oldWriter.host}:${port}`);
        expect(m.newHost).toBe(`${newHost}:${port}`);
        expect(m.outcome).toBe('FailoverSuccessError');
        expect(m.clusterId).toBe(before.clusterId);
        const names = m.phases.map((p) => p.name);
        expect(names).toEqual(expect.arrayContaining(['detect', 'search', 'reconnect', 'restore']));
        expect(names).not.toContain('rollback');
        const sum = m.phases.reduce((n, p) => n + p.ms, 0);
        // The phases tile the failover; it lasted no longer than the calls that waited for it.
        expect(Math.abs(sum - m.durationMs!)).toBeLessThan(1);
        expect(m.durationMs!).toBeLessThanOrEqual(measured);
      }

      // aurora-ha:connect: the users' connects, the monitor's and the failovers' reconnects.
      const purposes = new Set(connects.asyncEnd.map((m) => m.purpose));
      for (const p of ['user', 'failover'] as const) expect(purposes).toContain(p);
      if (plugin === 'failover2') expect(purposes).toContain('monitor');
      const ids = new Set(failovers.asyncEnd.map((m) => m.connectionId));
      const reconnects = connects.asyncEnd.filter((m) => m.purpose === 'failover' && m.outcome === 'ok');
      expect(new Set(reconnects.map((m) => m.connectionId))).toEqual(ids);
      // Each connection opened its replacement on the new writer (v1's task B also reads topology through readers).
      for (const id of ids) {
        expect(reconnects.some((m) => m.connectionId === id && m.host === `${newHost}:${port}`)).toBe(true);
      }

      // aurora-ha:topology / aurora-ha:monitor.
      expect(topology.some((m) => m.event === 'refreshed' && m.clusterId === before.clusterId)).toBe(true);
      expect(topology.some((m) => m.event === 'writer-changed' && m.after === `${newHost}:${port}`)).toBe(
        true,
      );
      if (plugin === 'failover2') {
        expect(monitor.some((m) => m.event === 'mode' && m.mode === 'panic')).toBe(true);
        const verified = monitor.find((m) => m.event === 'writer-verified');
        expect(verified).toMatchObject({ writer: `${newHost}:${port}` });
      }

      // One info line per failover on the connections' own logger (two of them share it).
      const failoverLines = lines.filter((l) => l.line.startsWith('failover conn'));
      expect(failoverLines).toHaveLength(2);
      for (const l of failoverLines) {
        expect(l.level).toBe('info');
        expect(l.line).toMatch(
          new RegExp(
            `^failover conn \\d+ cluster .+: writer ${oldWriter.host}:${port} → ${newHost}:${port} in \\d+ ms \\(detect \\d+, search \\d+, reconnect \\d+, restore \\d+\\); FailoverSuccessError$`,
          ),
        );
      }
      expect(lines.some((l) => l.level === 'debug' && l.line.startsWith('connect '))).toBe(true);

      // The throwing logger and the throwing subscriber: said once each, nothing failed.
      const codes = warnings.mock.calls.map((call) => call[1]?.code);
      expect(codes.filter((x) => x === 'AURORA_HA_LOGGER').length).toBeLessThanOrEqual(1);
      // Reported once per process: by the first test that made a monitor publish.
      if (plugin === 'failover2') expect(codes).toContain('AURORA_HA_SUBSCRIBER');
      expect(uncaught).not.toHaveBeenCalled();

      const after = getClusterStatus({ host: c.writerEndpoint.host, port });
      expect(after.writer?.host).toBe(`${newHost}:${port}`);
      expect(after.writer?.openConnections).toBe(3);
      expect(after.openConnections).toBe(3);

      // No password anywhere a subscriber or a logger gets it.
      const everything = inspect(
        { failovers, connects, topology, monitor, lines, before, after },
        { depth: Infinity, showHidden: true },
      );
      expect(everything).not.toContain(c.credentials.password);
    });
}
