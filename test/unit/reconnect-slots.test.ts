/**
 * failoverReconnectConcurrency (src/plugins/failover-core/reconnect-slots.ts): at most `limit`
 * reconnects in flight per instance, the others served in arrival order, aborted waiters leave
 * the queue, a slot comes back however the attempt settles, idle lanes are dropped; and, through
 * failover2 over the in-memory driver, a herd of connections never has more than the limit
 * logging in to the new writer at once and all of them recover.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { TaskAborted } from '../../src/core/time.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
import { reconnectSlotsInUse, withReconnectSlot } from '../../src/plugins/failover-core/reconnect-slots.js';
import { clusterKeyOf } from '../../src/plugins/failover2/monitor-link.js';
import { monitorOf } from '../../src/topology/topology-monitors.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  until,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 10_000 });
afterEach(endAllClients);

/** An attempt the test settles by hand. */
function manual(): { promise: Promise<string>; resolve: (v: string) => void; reject: (e: Error) => void } {
  let resolve!: (v: string) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('reconnect slots', () => {
  it('runs at most `limit` attempts at once and serves the rest in arrival order', async () => {
    const signal = new AbortController().signal;
    const attempts = Array.from({ length: 7 }, manual);
    const started: number[] = [];
    const results = attempts.map((a, i) =>
      withReconnectSlot('w:5432', 3, signal, () => {
        started.push(i);
        return a.promise;
      }),
    );
    const all = Promise.allSettled(results);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    expect(reconnectSlotsInUse().get('w:5432')).toEqual({ inFlight: 3, waiting: 4, limit: 3 });
    attempts[1]!.resolve('one');
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    attempts[0]!.reject(new Error('refused'));
    attempts[2]!.resolve('two');
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    for (const a of attempts.slice(3)) a.resolve('later');
    const settled = await all;
    expect(settled[0]!.status).toBe('rejected');
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(6);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(reconnectSlotsInUse().size).toBe(0);
  });

  it('a waiter whose failover ends leaves the queue without running, and the others move up', async () => {
    const first = manual();
    const ran: string[] = [];
    const holder = withReconnectSlot('w:5432', 1, new AbortController().signal, () => {
      ran.push('holder');
      return first.promise;
    });
    const aborted = new AbortController();
    const quitter = withReconnectSlot('w:5432', 1, aborted.signal, () => {
      ran.push('quitter');
      return Promise.resolve('never');
    });
    const next = withReconnectSlot('w:5432', 1, new AbortController().signal, () => {
      ran.push('next');
      return Promise.resolve('next');
    });
    await tick();
    aborted.abort();
    await expect(quitter).rejects.toBeInstanceOf(TaskAborted);
    expect(reconnectSlotsInUse().get('w:5432')).toEqual({ inFlight: 1, waiting: 1, limit: 1 });
    first.resolve('done');
    await expect(holder).resolves.toBe('done');
    await expect(next).resolves.toBe('next');
    expect(ran).toEqual(['holder', 'next']);
    expect(reconnectSlotsInUse().size).toBe(0);
  });

  it('an already aborted failover never runs its attempt', async () => {
    const controller = new AbortController();
    controller.abort();
    const attempt = vi.fn(() => Promise.resolve('x'));
    await expect(withReconnectSlot('w:5432', 5, controller.signal, attempt)).rejects.toBeInstanceOf(
      TaskAborted,
    );
    expect(attempt).not.toHaveBeenCalled();
    expect(reconnectSlotsInUse().size).toBe(0);
  });

  it('lanes are per instance', async () => {
    const signal = new AbortController().signal;
    const a = manual();
    const b = manual();
    const pa = withReconnectSlot('a:5432', 1, signal, () => a.promise);
    const pb = withReconnectSlot('b:5432', 1, signal, () => b.promise);
    await tick();
    expect(reconnectSlotsInUse().get('a:5432')?.inFlight).toBe(1);
    expect(reconnectSlotsInUse().get('b:5432')?.inFlight).toBe(1);
    a.resolve('a');
    b.resolve('b');
    await expect(Promise.all([pa, pb])).resolves.toEqual(['a', 'b']);
  });

  it('property: any mix of limits, settle orders and aborts never exceeds the limit, runs every waiter that stays, and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ abort: fc.boolean(), fail: fc.boolean(), delay: fc.nat(3) }), {
          minLength: 1,
          maxLength: 40,
        }),
        async (limit, specs) => {
          let inFlight = 0;
          let peak = 0;
          const controllers = specs.map(() => new AbortController());
          const runs = specs.map((s, i) =>
            withReconnectSlot('p:1', limit, controllers[i]!.signal, async () => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              for (let k = 0; k < s.delay; k++) await tick();
              inFlight--;
              if (s.fail) throw new Error('refused');
              return i;
            }),
          );
          specs.forEach((s, i) => {
            if (s.abort) controllers[i]!.abort();
          });
          const settled = await Promise.allSettled(runs);
          expect(peak).toBeLessThanOrEqual(limit);
          settled.forEach((r, i) => {
            const s = specs[i]!;
            if (r.status === 'fulfilled') expect(s.fail).toBe(false);
            else if (!s.fail) expect(r.reason).toBeInstanceOf(TaskAborted);
          });
          expect(reconnectSlotsInUse().size).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reconnect slots under login timeouts (AIMD)', () => {
  const slow = (err: unknown): boolean => err instanceof Error && err.message === 'timed out';

  it('logins timing out halve the lane once per second, never below 2; accepted logins win it back one by one', async () => {
    let clock = 10_000;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => clock);
    try {
      const signal = new AbortController().signal;
      const run = (fail: boolean): Promise<unknown> =>
        withReconnectSlot(
          'w:1',
          8,
          signal,
          () => (fail ? Promise.reject(new Error('timed out')) : Promise.resolve('ok')),
          slow,
        ).catch((e: unknown) => e);
      // Eight timeouts of one moment: one cut, 8 → 4.
      await Promise.all(Array.from({ length: 8 }, () => run(true)));
      const held = Array.from({ length: 6 }, manual);
      const waiting = held.map((h) => withReconnectSlot('w:1', 8, signal, () => h.promise, slow));
      const allWaiting = Promise.allSettled(waiting);
      await tick();
      expect(reconnectSlotsInUse().get('w:1')).toEqual({ inFlight: 4, waiting: 2, limit: 4 });
      // One second later another timeout: 4 → 2; then 2 is the floor.
      clock += 1_000;
      held[0]!.reject(new Error('timed out'));
      await tick();
      expect(reconnectSlotsInUse().get('w:1')?.limit).toBe(2);
      clock += 1_000;
      held[1]!.reject(new Error('timed out'));
      held[2]!.reject(new Error('timed out'));
      await tick();
      clock += 1_000;
      held[3]!.reject(new Error('timed out'));
      await tick();
      expect(reconnectSlotsInUse().get('w:1')?.limit).toBe(2);
      // Accepted logins: +1/limit each, so two of them bring 2 back to 3.
      held[4]!.resolve('ok');
      held[5]!.resolve('ok');
      const settled = await allWaiting;
      expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(4);
      // Idle, the lane keeps its cut for the retries to come…
      expect(reconnectSlotsInUse().get('w:1')).toEqual({ inFlight: 0, waiting: 0, limit: 2 });
      // …and forgets it 30 s after the last cut: the next failover starts at the configured limit.
      clock += 31_000;
      const fresh = manual();
      const next = withReconnectSlot('w:1', 8, signal, () => fresh.promise, slow);
      await tick();
      expect(reconnectSlotsInUse().get('w:1')).toEqual({ inFlight: 1, waiting: 0, limit: 8 });
      fresh.resolve('ok');
      await next;
      expect(reconnectSlotsInUse().size).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  it('a configured limit of 1 stays 1 however many logins time out', async () => {
    const signal = new AbortController().signal;
    let inFlight = 0;
    let peak = 0;
    const runs = Array.from({ length: 6 }, () =>
      withReconnectSlot(
        'w:3',
        1,
        signal,
        async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await tick();
          inFlight--;
          throw new Error('timed out');
        },
        slow,
      ).catch(() => undefined),
    );
    await Promise.all(runs);
    expect(peak).toBe(1);
    expect(reconnectSlotsInUse().get('w:3')?.limit ?? 1).toBe(1);
  });

  it('failures that are not timeouts (refused, wrong role) leave the limit alone', async () => {
    const signal = new AbortController().signal;
    const held = Array.from({ length: 5 }, manual);
    const runs = held.map((h) => withReconnectSlot('w:2', 4, signal, () => h.promise, slow));
    const all = Promise.allSettled(runs);
    await tick();
    held[0]!.reject(new Error('ECONNREFUSED'));
    await tick();
    expect(reconnectSlotsInUse().get('w:2')).toEqual({ inFlight: 4, waiting: 0, limit: 4 });
    for (const h of held.slice(1)) h.resolve('ok');
    await all;
  });
});

describe('failoverReconnectConcurrency through failover2', () => {
  it('30 connections failing over together: never more than 4 logging in to the new writer at once, all recovered', async () => {
    const cluster = new MemoryCluster();
    const limit = 4;
    const clients = await Promise.all(
      Array.from({ length: 30 }, () =>
        connectedClient(cluster, {
          plugins: ['failover2'],
          options: { failoverReconnectConcurrency: limit },
        }),
      ),
    );
    const monitor = monitorOf(clusterKeyOf(clients[0]!.lc.service))!;
    await until(() => monitor.hosts().length === 3, 'the monitor’s topology');
    cluster.instance('instance-3').connectDelayMs = 5;
    let peak = 0;
    let queued = 0;
    const sampler = setInterval(() => {
      for (const lane of reconnectSlotsInUse().values()) {
        peak = Math.max(peak, lane.inFlight);
        queued = Math.max(queued, lane.waiting);
      }
    }, 1);
    sampler.unref();
    try {
      cluster.instance('instance-1').queryMode = 'silent';
      const calls = clients.map((c) => outcome(c.query('SELECT 1')));
      await Promise.resolve();
      cluster.failover('instance-3');
      const results = await Promise.all(calls);
      for (const r of results) expect(errorOf(r)).toBeInstanceOf(FailoverSuccessError);
      for (const c of clients) expect(c.instance()).toBe('instance-3');
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThanOrEqual(limit);
    expect(queued).toBeGreaterThan(0);
    expect(reconnectSlotsInUse().size).toBe(0);
  });
});
