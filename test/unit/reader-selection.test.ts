// The per-cluster and per-process parts of reader selection: one rotation shared by every
// connection (also when failover orders all readers), weights by instance name, the connection
// counts behind leastConnections (levelled under concurrency, nothing left after release), the
// bounded rotation map, and the retry jitter of initialConnection.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import type { PluginService } from '../../src/connection/plugin.js';
import { FailoverPlugin } from '../../src/plugins/failover/failover-plugin.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { readerCandidates } from '../../src/plugins/failover-core/failover-hosts.js';
import { retryPauseMs as jittered } from '../../src/plugins/initial-connection/retry-loop.js';
import type { OpenContext } from '../../src/plugins/initial-connection/open-context.js';
import { Deadline } from '../../src/core/time.js';
import {
  ConnectionCounts,
  ConnectionTally,
  ROUND_ROBIN_CLUSTERS,
  countedHosts,
  createSelector,
  newRoundRobinState,
  openConnectionsTo,
  orderedHosts,
  roundRobinStateOf,
} from '../../src/selectors/index.js';
import { readerSelection } from '../../src/plugins/failover-core/reader-selection.js';

const writer = makeHost('i1.x', 5432, { role: 'writer', instanceId: 'instance-1' });
const readers = [2, 3, 4].map((n) =>
  makeHost(`i${n}.x`, 5432, { role: 'reader', instanceId: `instance-${n}` }),
);
const hosts = [writer, ...readers];

describe('roundRobin shared by the connections of a cluster', () => {
  it('20 failovers ordering all readers start on each reader in turn (not 20 of 20 on one)', () => {
    const state = newRoundRobinState();
    const firsts: string[] = [];
    for (let i = 0; i < 21; i++) {
      // Each failing connection builds its own selector over the one cluster state.
      const selector = createSelector('roundRobin', { roundRobinState: state });
      const order = readerCandidates(hosts, { includeWriter: true, selector });
      expect(
        order
          .slice(0, 3)
          .map((h) => h.instanceId)
          .sort(),
      ).toEqual(['instance-2', 'instance-3', 'instance-4']);
      expect(order[3]).toBe(writer);
      firsts.push(order[0]!.instanceId!);
    }
    expect(firsts.filter((f) => f === 'instance-2')).toHaveLength(7);
    expect(firsts.filter((f) => f === 'instance-3')).toHaveLength(7);
    expect(firsts.filter((f) => f === 'instance-4')).toHaveLength(7);
  });

  it('an ordering is the host whose turn it is, then the rest in rotation order', () => {
    const selector = createSelector('roundRobin', { roundRobinState: newRoundRobinState() });
    expect(orderedHosts(selector, hosts, 'reader').map((h) => h.instanceId)).toEqual([
      'instance-2',
      'instance-3',
      'instance-4',
    ]);
    expect(orderedHosts(selector, hosts, 'reader').map((h) => h.instanceId)).toEqual([
      'instance-3',
      'instance-4',
      'instance-2',
    ]);
  });

  it('weights are looked up by instance name first, then host:port, then host', () => {
    const selector = createSelector('roundRobin', {
      roundRobinState: newRoundRobinState(),
      roundRobinHostWeights: { 'instance-3': 3, 'i4.x': 2, 'unknown-instance': 9 },
    });
    const seq = Array.from({ length: 12 }, () => selector.select(hosts, 'reader')!.instanceId);
    const count = (id: string): number => seq.filter((s) => s === id).length;
    expect([count('instance-2'), count('instance-3'), count('instance-4')]).toEqual([2, 6, 4]);
  });

  it('keeps one state per cluster id, and at most ROUND_ROBIN_CLUSTERS of them', () => {
    const a = roundRobinStateOf('cluster-a');
    expect(roundRobinStateOf('cluster-a')).toBe(a);
    for (let i = 0; i < ROUND_ROBIN_CLUSTERS; i++) roundRobinStateOf(`other-${i}`);
    expect(roundRobinStateOf('cluster-a')).not.toBe(a);
  });
});

describe('connection counts (leastConnections)', () => {
  it('concurrent picks counted at pick time spread evenly; released tallies leave nothing behind', () => {
    const before = countedHosts();
    const selector = createSelector('leastConnections', { connectionCount: openConnectionsTo });
    const tallies: ConnectionTally[] = [];
    for (let i = 0; i < 31; i++) {
      const t = new ConnectionTally();
      t.moveTo(selector.select(hosts, 'reader'));
      tallies.push(t);
    }
    const counts = readers.map((r) => openConnectionsTo(r));
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(31);
    // A failover moves a connection: counted on its new host only.
    tallies[0]!.moveTo(writer);
    expect(openConnectionsTo(writer)).toBe(1);
    tallies[0]!.moveTo(writer);
    expect(openConnectionsTo(writer)).toBe(1);
    for (const t of tallies) t.moveTo(undefined);
    expect(readers.map((r) => openConnectionsTo(r))).toEqual([0, 0, 0]);
    expect(countedHosts()).toBe(before);
  });
});

describe('connection counts per pool (issue 23)', () => {
  it("each pool spreads its own connections, whatever another pool's are; the process's counts see neither", () => {
    const before = countedHosts();
    const poolA = new ConnectionCounts();
    const poolB = new ConnectionCounts();
    // Pool B is lopsided: 6 connections on the first reader.
    const lopsided = Array.from({ length: 6 }, () => new ConnectionTally(() => poolB));
    for (const t of lopsided) t.moveTo(readers[0]);
    const selectorA = createSelector('leastConnections', { connectionCount: (h) => poolA.openTo(h) });
    const a = Array.from({ length: 12 }, () => {
      const t = new ConnectionTally(() => poolA);
      t.moveTo(selectorA.select(hosts, 'reader'));
      return t;
    });
    expect(readers.map((r) => poolA.openTo(r))).toEqual([4, 4, 4]);
    expect(readers.map((r) => poolB.openTo(r))).toEqual([6, 0, 0]);
    expect(countedHosts()).toBe(before);
    for (const t of [...a, ...lopsided]) t.moveTo(undefined);
    expect(poolA.hosts + poolB.hosts).toBe(0);
  });
});

describe('initialConnection retry interval', () => {
  it('jitters ±20 % and never goes past the deadline', () => {
    const ctx = { deadline: new Deadline(10_000) } as unknown as OpenContext;
    expect(jittered(ctx, 1000, () => 0)).toBe(800);
    expect(jittered(ctx, 1000, () => 0.999999)).toBe(1200);
    const late = { deadline: new Deadline(50) } as unknown as OpenContext;
    expect(jittered(late, 1000, () => 0.5)).toBeLessThanOrEqual(50);
  });
});

describe('failover accepts every strategy', () => {
  function fakeService(strategy: string): PluginService {
    const options = resolveConfig('postgres', {
      host: 'db.cluster-ro-abc.us-east-1.rds.amazonaws.com',
      failoverReaderHostSelectorStrategy: strategy,
    }).options;
    return {
      config: { options, initialHosts: [], driverConfig: {} },
      initialUrlType: 'reader-cluster',
      dialect: undefined,
    } as unknown as PluginService;
  }

  it('leastConnections and fastestResponse no longer throw; failover orders readers by open connections', () => {
    for (const s of [
      'leastConnections',
      'fastestResponse',
      'roundRobin',
      'weightedRandom',
      'highestWeight',
    ]) {
      expect(() => new FailoverPlugin(fakeService(s))).not.toThrow();
    }
    const service = fakeService('leastConnections');
    const selector = readerSelection(service).selector(
      'leastConnections',
      'failoverReaderHostSelectorStrategy',
    );
    const busy = [new ConnectionTally(), new ConnectionTally(), new ConnectionTally()];
    busy[0]!.moveTo(readers[0]);
    busy[1]!.moveTo(readers[0]);
    busy[2]!.moveTo(readers[2]);
    try {
      const order = readerCandidates(hosts, { includeWriter: false, selector });
      expect(order.map((h) => h.instanceId)).toEqual(['instance-3', 'instance-4', 'instance-2']);
    } finally {
      for (const t of busy) t.moveTo(undefined);
      readerSelection(service).release();
    }
  });
});
