/** bench:fleet's busiest-second counts (bench/fleet/rates.ts): a sliding window, bounded by [from, to]. */
import { describe, expect, it } from 'vitest';
import { peakPerSecond, peakPerSecondByKey } from '../../bench/fleet/rates.js';

describe('peakPerSecond', () => {
  it('counts a burst straddling a second boundary as one second', () => {
    // 3 events in 999.9 … 1000.5 ms: fixed buckets would split them 1 + 2.
    expect(peakPerSecond([999.9, 1000.1, 1000.5], 0, 5000)).toBe(3);
  });

  it('keeps events exactly 1,000 ms apart in different windows', () => {
    expect(peakPerSecond([0, 1000, 2000], 0, 5000)).toBe(1);
    expect(peakPerSecond([0, 999, 1000], 0, 5000)).toBe(2);
  });

  it('ignores events outside [from, to], unsorted input included', () => {
    expect(peakPerSecond([5000, 10, 20, 30, 6000], 15, 5000)).toBe(2);
    expect(peakPerSecond([], 0, 1000)).toBe(0);
  });
});

describe('peakPerSecondByKey', () => {
  it('gives each key its own peak, keys sorted', () => {
    const peaks = peakPerSecondByKey(
      [
        { key: 'instance-2', t: 100 },
        { key: 'instance-1', t: 100 },
        { key: 'instance-2', t: 200 },
        { key: 'instance-2', t: 1500 },
      ],
      0,
      2000,
    );
    expect([...peaks]).toEqual([
      ['instance-1', 1],
      ['instance-2', 2],
    ]);
  });
});
