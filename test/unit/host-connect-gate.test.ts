// The per-host connect gate of failover (issue 9 item 11): once a host refused, callers of the
// whole process make one attempt at a time to it, spaced by a jittered doubling backoff; the
// first success lets everyone through at once.
import { afterEach, describe, expect, it } from 'vitest';
import { makeHost } from '../../src/drivers/host-info.js';
import {
  gateBackoffMs as backoffMs,
  clearHostGates,
  throughGate,
} from '../../src/plugins/failover-core/host-connect-gate.js';

afterEach(() => clearHostGates());

describe('host connect gate', () => {
  it('backoff doubles from 100 ms to 2 s with ±50 % jitter', () => {
    expect(backoffMs(1, () => 0.5)).toBe(100);
    expect(backoffMs(2, () => 0.5)).toBe(200);
    expect(backoffMs(10, () => 0.5)).toBe(2000);
    expect(backoffMs(1, () => 0)).toBe(50);
    expect(backoffMs(10, () => 0.999)).toBeLessThan(3000);
  });

  it('a refusing host gets one attempt at a time from 50 callers, then everyone passes on the first success', async () => {
    const host = makeHost('10.9.9.9', 5432);
    let attempts = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let upAt = Number.POSITIVE_INFINITY;
    const attempt = async (): Promise<string> => {
      attempts++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (Date.now() < upAt) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      return 'connected';
    };
    const stop = new AbortController();
    // The host is known to refuse (one earlier failure), then 50 failovers want it.
    await throughGate(host, stop.signal, attempt).catch(() => undefined);
    attempts = 0;
    maxInFlight = 0;
    setTimeout(() => {
      upAt = Date.now();
    }, 800).unref();
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (;;) {
          try {
            return await throughGate(host, stop.signal, attempt);
          } catch {
            // retry, like a failover task does
          }
        }
      }),
    );
    expect(results.every((r) => r === 'connected')).toBe(true);
    expect(maxInFlight).toBeGreaterThan(1); // after the first success, all at once
    // While refusing (~800 ms): a handful of spaced probes, not 50 callers hammering it.
    expect(attempts).toBeLessThanOrEqual(50 + 12);
  });
});
