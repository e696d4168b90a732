// observe/internal-work.ts: a pass-through without a runner; a runner wraps our work; a runner that
// fails before running the work is bypassed; an error of the work itself propagates once.
import { afterEach, describe, expect, it } from 'vitest';
import { runInternal, setInternalRunner } from '../../src/observe/internal-work.js';

afterEach(() => setInternalRunner(undefined));

describe('runInternal', () => {
  it('passes through without a runner', () => {
    expect(runInternal(() => 42)).toBe(42);
  });

  it('runs the work inside the installed runner', () => {
    const seen: string[] = [];
    setInternalRunner((fn) => {
      seen.push('enter');
      try {
        return fn();
      } finally {
        seen.push('leave');
      }
    });
    expect(runInternal(() => (seen.push('work'), 'ok'))).toBe('ok');
    expect(seen).toEqual(['enter', 'work', 'leave']);
  });

  it('bypasses a runner that throws before running the work', () => {
    setInternalRunner(() => {
      throw new Error('broken bridge');
    });
    let runs = 0;
    expect(runInternal(() => ++runs)).toBe(1);
    expect(runs).toBe(1);
  });

  it("propagates the work's own error, without running it twice", () => {
    setInternalRunner((fn) => fn());
    let runs = 0;
    expect(() =>
      runInternal(() => {
        runs++;
        throw new Error('query failed');
      }),
    ).toThrow('query failed');
    expect(runs).toBe(1);
  });
});
