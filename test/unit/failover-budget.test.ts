/**
 * The failover's time budget (plugins/failover-core/failover-budget.ts), on its own: the caller is
 * answered by the deadline whatever the work does, a result that arrives later is handed over
 * to be closed, a committed replacement is never cut short, and end() says so. Pure timing
 * logic: the integration suites (failover-bounds-*) show it on real engines.
 */
import { describe, expect, it } from 'vitest';
import { FailoverFailedError } from '../../src/core/errors.js';
import { FailoverBudget, FailoverTimeoutReached } from '../../src/plugins/failover-core/failover-budget.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const after = <T>(ms: number, value: T): Promise<T> =>
  new Promise((resolve) => {
    setTimeout(() => resolve(value), ms);
  });

async function outcome(p: Promise<unknown>): Promise<{ value?: unknown; err?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await p;
    return { value, ms: performance.now() - started };
  } catch (err) {
    return { err, ms: performance.now() - started };
  }
}

describe('FailoverBudget', () => {
  it('settles with the work when it finishes in time, and its signal never fires', async () => {
    const budget = new FailoverBudget(1_000, new AbortController().signal);
    const r = await outcome(budget.settle(after(20, 'found'), () => undefined));
    budget.dispose();
    expect(r.value).toBe('found');
    expect(budget.signal.aborted).toBe(false);
    expect(budget.ended).toBeUndefined();
  });

  it('answers at the deadline when the work never settles, with its signal fired', async () => {
    const budget = new FailoverBudget(200, new AbortController().signal);
    const r = await outcome(budget.settle(never(), () => undefined));
    budget.dispose();
    expect(r.err).toBeInstanceOf(FailoverTimeoutReached);
    expect(r.ms).toBeGreaterThanOrEqual(190);
    expect(r.ms).toBeLessThan(700);
    expect(budget.signal.aborted).toBe(true);
    expect(budget.ended).toBe('timeout');
  });

  it("prefers the work's own error when the abort makes it settle at once", async () => {
    const budget = new FailoverBudget(100, new AbortController().signal);
    const work = new Promise<never>((_, reject) => {
      budget.signal.addEventListener('abort', () => reject(new Error('no writer appeared')));
    });
    const r = await outcome(budget.settle(work, () => undefined));
    budget.dispose();
    expect((r.err as Error).message).toBe('no writer appeared');
  });

  it('hands a result that arrives after the deadline to `late` (to be closed)', async () => {
    const budget = new FailoverBudget(100, new AbortController().signal);
    const late: string[] = [];
    const r = await outcome(budget.settle(after(300, 'conn'), (v) => late.push(v)));
    expect(r.err).toBeInstanceOf(FailoverTimeoutReached);
    await after(400, undefined);
    budget.dispose();
    expect(late).toEqual(['conn']);
  });

  it('a committed replacement is not cut short by the deadline passing', async () => {
    const budget = new FailoverBudget(100, new AbortController().signal);
    const work = (async () => {
      await after(20, undefined);
      budget.commit();
      await after(200, undefined);
      return 'switched';
    })();
    const r = await outcome(budget.settle(work, () => undefined));
    budget.dispose();
    expect(r.value).toBe('switched');
  });

  it('end() of the logical connection stops it at once with a FailoverFailedError saying so', async () => {
    const released = new AbortController();
    const budget = new FailoverBudget(10_000, released.signal);
    setTimeout(() => released.abort(), 50);
    const r = await outcome(budget.settle(never(), () => undefined));
    budget.dispose();
    expect(r.err).toBeInstanceOf(FailoverFailedError);
    expect((r.err as Error).message).toMatch(/ended during failover/);
    expect(r.ms).toBeLessThan(1_000);
    expect(budget.ended).toBe('released');
  });
});
