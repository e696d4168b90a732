/**
 * Pure parts of the failover plugin: the default mode per URL type, the order in which
 * reader failover tries hosts, and which topology entry a failed connection was on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeHost, type HostInfo } from '../../src/drivers/host-info.js';
import {
  readerCandidateTiers,
  readerCandidates,
  topologyEntryFor,
} from '../../src/plugins/failover-core/failover-hosts.js';
import { failoverModeOf } from '../../src/plugins/failover-core/failover-mode.js';

const hostArb = fc
  .record({
    n: fc.integer({ min: 1, max: 9 }),
    role: fc.constantFrom('writer' as const, 'reader' as const),
    up: fc.boolean(),
  })
  .map(({ n, role, up }) =>
    makeHost(`instance-${n}.abc.us-east-1.rds.amazonaws.com`, 5432, {
      role,
      instanceId: `instance-${n}`,
      availability: up ? 'available' : 'unavailable',
    }),
  );

/** A topology: distinct instances, at most one writer. */
const topologyArb = fc
  .uniqueArray(hostArb, { selector: (h) => h.instanceId, minLength: 1, maxLength: 6 })
  .map((hosts) => {
    let seenWriter = false;
    return hosts.map((h) => {
      if (h.role !== 'writer') return h;
      if (seenWriter) return { ...h, role: 'reader' as const };
      seenWriter = true;
      return h;
    });
  });

describe('failover mode', () => {
  it('defaults to reader-or-writer on the reader cluster endpoint and strict-writer elsewhere', () => {
    expect(failoverModeOf({ failoverMode: undefined }, 'reader-cluster')).toBe('reader-or-writer');
    for (const t of ['writer-cluster', 'custom-cluster', 'instance', 'ip-address', 'other'] as const) {
      expect(failoverModeOf({ failoverMode: undefined }, t)).toBe('strict-writer');
    }
    expect(failoverModeOf({ failoverMode: 'strict-reader' }, 'writer-cluster')).toBe('strict-reader');
  });
});

describe('reader failover candidates', () => {
  it('every allowed host once; readers up, then the writer, then hosts marked down; never the excluded one', () => {
    fc.assert(
      fc.property(topologyArb, fc.boolean(), fc.nat(), (hosts, includeWriter, pick) => {
        const exclude: HostInfo | undefined = pick % 3 === 0 ? undefined : hosts[pick % hosts.length];
        const list = readerCandidates(hosts, { includeWriter, exclude });
        const expected = hosts.filter(
          (h) => h.instanceId !== exclude?.instanceId && (includeWriter || h.role !== 'writer'),
        );
        expect(new Set(list.map((h) => h.instanceId))).toEqual(new Set(expected.map((h) => h.instanceId)));
        expect(list).toHaveLength(expected.length);
        const rank = (h: HostInfo): number =>
          (h.availability === 'available' ? 0 : 2) + (h.role === 'writer' ? 1 : 0);
        for (let i = 1; i < list.length; i++) {
          expect(rank(list[i - 1]!)).toBeLessThanOrEqual(rank(list[i]!));
        }
        const tiers = readerCandidateTiers(hosts, { includeWriter, exclude });
        expect(tiers.every((t) => t.length > 0)).toBe(true);
        // Order inside a tier is random; the tiers hold the same hosts as the flat list.
        expect(
          tiers
            .flat()
            .map((h) => h.instanceId)
            .sort(),
        ).toEqual(list.map((h) => h.instanceId).sort());
        for (const tier of tiers) expect(new Set(tier.map(rank)).size).toBe(1);
      }),
    );
  });
});

describe('topology entry of the failed connection', () => {
  const writer = makeHost('instance-1.abc.us-east-1.rds.amazonaws.com', 5432, {
    role: 'writer',
    instanceId: 'instance-1',
  });
  const reader = makeHost('instance-2.abc.us-east-1.rds.amazonaws.com', 5432, {
    role: 'reader',
    instanceId: 'instance-2',
  });
  const endpoint = makeHost('mydb.cluster-abc.us-east-1.rds.amazonaws.com', 5432);

  it('an instance name is itself; a cluster endpoint is the writer when the connection is meant for it', () => {
    expect(topologyEntryFor(reader, [writer, reader], true)).toBe(reader);
    expect(topologyEntryFor(endpoint, [writer, reader], true)).toBe(writer);
    expect(topologyEntryFor(endpoint, [writer, reader], false)).toBe(endpoint);
    expect(topologyEntryFor(undefined, [writer, reader], false)).toBe(writer);
  });

  it('an identified instance the topology dropped (the failed writer, down) is itself, never the new writer', () => {
    const failed = makeHost('instance-9.abc.us-east-1.rds.amazonaws.com', 5432, {
      role: 'writer',
      instanceId: 'instance-9',
    });
    expect(topologyEntryFor(failed, [writer, reader], true)).toBe(failed);
    expect(topologyEntryFor(failed, [writer, reader], false)).toBe(failed);
  });

  it('for any topology, an identified instance it does not list is itself (fast-check)', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer({ min: 10, max: 99 }), fc.boolean(), (hosts, n, onWriter) => {
        const gone = makeHost(`instance-${n}.abc.us-east-1.rds.amazonaws.com`, 5432, {
          role: 'writer',
          instanceId: `instance-${n}`,
        });
        expect(topologyEntryFor(gone, hosts, onWriter)).toBe(gone);
      }),
    );
  });
});
