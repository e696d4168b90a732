// Shared topology of a cluster: an "unavailable" mark expires (a failed host is tried last,
// not forever: it may be back as a reader) — issue 9 item 8.
import { describe, expect, it } from 'vitest';
import { makeHost } from '../../src/drivers/host-info.js';
import {
  acquireTopology,
  releaseTopology,
  UNAVAILABLE_MARK_TTL_MS,
} from '../../src/topology/topology-cache.js';

describe('availability marks', () => {
  it('expire after UNAVAILABLE_MARK_TTL_MS', () => {
    const t = acquireTopology('marks-expire');
    try {
      t.update([makeHost('a', 1, { role: 'writer' }), makeHost('b', 1, { role: 'reader', instanceId: 'b' })]);
      t.setAvailability(['b'], 'unavailable', 1_000);
      expect(t.hosts.find((h) => h.host === 'b')?.availability).toBe('unavailable');
      t.expireMarks(1_000 + UNAVAILABLE_MARK_TTL_MS - 1);
      expect(t.hosts.find((h) => h.host === 'b')?.availability).toBe('unavailable');
      t.expireMarks(1_000 + UNAVAILABLE_MARK_TTL_MS);
      expect(t.hosts.find((h) => h.host === 'b')?.availability).toBe('available');
    } finally {
      releaseTopology(t);
    }
  });

  it('a host marked available again loses its mark at once', () => {
    const t = acquireTopology('marks-clear');
    try {
      t.update([makeHost('a', 1, { role: 'writer' })]);
      t.setAvailability(['a:1'], 'unavailable', 5);
      expect(t.hosts[0]?.availability).toBe('unavailable');
      t.setAvailability(['a:1'], 'available', 6);
      expect(t.hosts[0]?.availability).toBe('available');
    } finally {
      releaseTopology(t);
    }
  });
});
