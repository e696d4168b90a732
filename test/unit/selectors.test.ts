// Host selectors: every strategy only returns available hosts of the asked role; distributions of
// random / weightedRandom / roundRobin over large N with a seeded random source; the ranking rules
// of highestWeight, leastConnections and fastestResponse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostSelectorStrategy } from '../../src/core/wrapper-options.js';
import { STRATEGIES } from '../../src/config/options-table.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { makeHost, type HostInfo, type HostRole } from '../../src/drivers/host-info.js';
import { createSelector, newRoundRobinState, type HostSelector } from '../../src/selectors/index.js';

/** Deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const writer = makeHost('w', 5432, { role: 'writer' });
const readers = ['r1', 'r2', 'r3'].map((h) => makeHost(h, 5432, { role: 'reader' }));
const down = makeHost('r0', 5432, { role: 'reader', availability: 'unavailable' });
const cluster: HostInfo[] = [writer, readers[2]!, down, readers[0]!, readers[1]!];

function counts(selector: HostSelector, hosts: readonly HostInfo[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = selector.select(hosts, 'reader');
    const k = h === undefined ? 'none' : h.host;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describe('every strategy', () => {
  const host = fc
    .record({
      host: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      port: fc.constantFrom(5432, 5433),
      role: fc.constantFrom<HostRole>('writer', 'reader', 'unknown'),
      available: fc.boolean(),
      weight: fc.nat(10_000),
    })
    .map((h) =>
      makeHost(h.host, h.port, {
        role: h.role,
        availability: h.available ? 'available' : 'unavailable',
        weight: h.weight,
      }),
    );

  it('returns an available host of the asked role, or undefined exactly when there is none', () => {
    fc.assert(
      fc.property(
        fc.array(host, { maxLength: 8 }),
        fc.constantFrom<HostRole>('writer', 'reader', 'unknown'),
        fc.constantFrom(...STRATEGIES),
        fc.integer(),
        (hosts, role, strategy, seed) => {
          const selector = createSelector(strategy, {
            random: seeded(seed),
            connectionCount: (h) => h.weight % 7,
            responseTime: (h) => (h.weight % 3 === 0 ? undefined : h.weight),
            weightedRandomHostWeights: { a: 5 },
            roundRobinHostWeights: { b: 2 },
          });
          const eligible = hosts.filter((h) => h.role === role && h.availability === 'available');
          for (let i = 0; i < 5; i++) {
            const chosen = selector.select(hosts, role);
            if (eligible.length === 0) expect(chosen).toBeUndefined();
            else expect(eligible).toContain(chosen);
          }
        },
      ),
    );
  });
});

describe('random', () => {
  it('spreads evenly over available readers (N = 60000, seeded)', () => {
    const c = counts(createSelector('random', { random: seeded(1) }), cluster, 60_000);
    expect([...c.keys()].sort()).toEqual(['r1', 'r2', 'r3']);
    for (const k of ['r1', 'r2', 'r3']) expect(Math.abs(c.get(k)! / 60_000 - 1 / 3)).toBeLessThan(0.01);
    expect(createSelector('random').select([writer], 'reader')).toBeUndefined();
  });
});

describe('roundRobin', () => {
  it('takes hosts in host order, each for its weight in consecutive turns', () => {
    const selector = createSelector('roundRobin', {
      roundRobinHostWeights: { r1: 3 },
      roundRobinDefaultWeight: 1,
    });
    const seq = Array.from({ length: 10 }, () => selector.select(cluster, 'reader')!.host);
    expect(seq).toEqual(['r1', 'r1', 'r1', 'r2', 'r3', 'r1', 'r1', 'r1', 'r2', 'r3']);
  });

  it('gives exact weighted shares over N picks and shares the rotation through the cluster state', () => {
    const state = newRoundRobinState();
    const deps = {
      roundRobinState: state,
      roundRobinHostWeights: { 'r2:5432': 2 },
      roundRobinDefaultWeight: 1,
    };
    const a = createSelector('roundRobin', deps);
    const b = createSelector('roundRobin', deps);
    const c = new Map<string, number>();
    for (let i = 0; i < 40_000; i++) {
      const h = (i % 2 === 0 ? a : b).select(cluster, 'reader')!.host;
      c.set(h, (c.get(h) ?? 0) + 1);
    }
    expect(Object.fromEntries(c)).toEqual({ r1: 10_000, r2: 20_000, r3: 10_000 });
  });

  it('continues with the next host when the current one leaves the list', () => {
    const selector = createSelector('roundRobin', { roundRobinDefaultWeight: 2 });
    expect(selector.select(cluster, 'reader')!.host).toBe('r1');
    const withoutR1 = cluster.filter((h) => h.host !== 'r1');
    expect(selector.select(withoutR1, 'reader')!.host).toBe('r2');
    expect(selector.select(withoutR1, 'reader')!.host).toBe('r2');
    expect(selector.select(withoutR1, 'reader')!.host).toBe('r3');
  });
});

describe('weightedRandom', () => {
  it('matches configured shares (N = 100000, seeded)', () => {
    const selector = createSelector('weightedRandom', {
      random: seeded(7),
      weightedRandomHostWeights: { r1: 1, 'r2:5432': 3, r3: 6 },
    });
    const c = counts(selector, cluster, 100_000);
    expect(Math.abs(c.get('r1')! / 100_000 - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(c.get('r2')! / 100_000 - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(c.get('r3')! / 100_000 - 0.6)).toBeLessThan(0.01);
    expect(c.has('r0')).toBe(false);
  });
});

describe('highestWeight', () => {
  it('picks the best-ranked host: the lowest lag*100+cpu cost', () => {
    const hosts = [
      makeHost('busy', 5432, { role: 'reader', weight: 0 * 100 + 90 }),
      makeHost('lagging', 5432, { role: 'reader', weight: 25 * 100 + 5 }),
      makeHost('best', 5432, { role: 'reader', weight: 0 * 100 + 10 }),
      makeHost('best-but-down', 5432, { role: 'reader', weight: 0, availability: 'unavailable' }),
    ];
    expect(createSelector('highestWeight').select(hosts, 'reader')!.host).toBe('best');
  });
});

describe('leastConnections', () => {
  it('picks the host with the fewest connections, ties by host order', () => {
    const open: Record<string, number> = { r1: 4, r2: 1, r3: 1 };
    const selector = createSelector('leastConnections', { connectionCount: (h) => open[h.host] ?? 0 });
    expect(selector.select(cluster, 'reader')!.host).toBe('r2');
    open.r2 = 5;
    expect(selector.select(cluster, 'reader')!.host).toBe('r3');
  });
});

describe('fastestResponse', () => {
  it('picks the fastest measured host, random while nothing is measured', () => {
    const times: Record<string, number | undefined> = { r1: 40, r2: undefined, r3: 12 };
    const selector = createSelector('fastestResponse', {
      responseTime: (h) => times[h.host],
      random: seeded(3),
    });
    expect(selector.select(cluster, 'reader')!.host).toBe('r3');
    times.r1 = undefined;
    times.r3 = undefined;
    const c = counts(selector, cluster, 30_000);
    for (const k of ['r1', 'r2', 'r3']) expect(Math.abs(c.get(k)! / 30_000 - 1 / 3)).toBeLessThan(0.015);
  });
});

describe('createSelector', () => {
  it('names the option when a strategy lacks its run-time data', () => {
    for (const strategy of ['leastConnections', 'fastestResponse'] as HostSelectorStrategy[]) {
      let err: unknown;
      try {
        createSelector(strategy, { option: 'readerInitialConnectionHostSelectorStrategy' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe('readerInitialConnectionHostSelectorStrategy');
    }
  });
});
