/**
 * isFailoverError / findFailoverError: our errors are found through any chain of the wrapper
 * keys ORMs use, up to the documented depth, and never invented; cycles and throwing getters
 * do not break the search. Property-based (fast-check) over random wrapper chains.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FailoverFailedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import {
  findFailoverError,
  isFailoverError,
  isRecoveredFailover,
  MAX_WRAPPER_DEPTH,
  WRAPPED_ERROR_KEYS,
} from '../../src/index.js';

const ours = fc.constantFrom(
  () => new FailoverSuccessError('h:5432', { statementSent: false }),
  () => new TransactionResolutionUnknownError('h:5432'),
  () => new FailoverFailedError('no writer'),
);
const key = fc.constantFrom(...WRAPPED_ERROR_KEYS);

/** Wrap `inner` in `keys.length` plain Error wrappers, outermost first. */
function wrap(inner: unknown, keys: readonly string[]): unknown {
  let e = inner;
  for (const k of [...keys].reverse()) e = Object.assign(new Error(`wrapper ${k}`), { [k]: e });
  return e;
}

describe('findFailoverError', () => {
  it('finds our error through any chain of wrapper keys within the depth bound', () => {
    fc.assert(
      fc.property(ours, fc.array(key, { maxLength: MAX_WRAPPER_DEPTH }), (make, keys) => {
        const err = make();
        expect(findFailoverError(wrap(err, keys))).toBe(err);
        expect(isFailoverError(wrap(err, keys))).toBe(true);
        expect(isRecoveredFailover(wrap(err, keys))).toBe(!(err instanceof FailoverFailedError));
      }),
    );
  });

  it('finds nothing where there is none, whatever the chain (other errors, primitives, cycles)', () => {
    const leaf = fc.oneof(
      fc.constant(new Error('ECONNRESET')),
      fc.constant(Object.assign(new Error('x'), { code: 'ECONNRESET', name: 'FailoverSuccessError' })), // right name, wrong code
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(leaf, fc.array(key, { maxLength: 12 }), fc.boolean(), (inner, keys, cyclic) => {
        const err = wrap(inner, keys);
        if (cyclic && typeof err === 'object' && err !== null) (err as Record<string, unknown>).parent = err;
        expect(isFailoverError(err)).toBe(false);
        expect(findFailoverError(err)).toBeUndefined();
      }),
    );
  });

  it('stops at the depth bound', () => {
    const err = new FailoverSuccessError('h:1');
    expect(isFailoverError(wrap(err, Array(MAX_WRAPPER_DEPTH).fill('cause')))).toBe(true);
    expect(isFailoverError(wrap(err, Array(MAX_WRAPPER_DEPTH + 1).fill('cause')))).toBe(false);
  });

  it('survives a throwing getter and recognises a copy from another module instance by name and code', () => {
    const hostile = new Error('orm');
    Object.defineProperty(hostile, 'cause', {
      get() {
        throw new Error('no');
      },
    });
    (hostile as unknown as Record<string, unknown>).original = new FailoverSuccessError('h:1');
    expect(isFailoverError(hostile)).toBe(true);
    const foreign = Object.assign(new Error('copy'), {
      name: 'TransactionResolutionUnknownError',
      code: 'TRANSACTION_RESOLUTION_UNKNOWN',
    });
    expect(isFailoverError({ driverError: foreign })).toBe(true);
    expect(isRecoveredFailover({ driverError: foreign })).toBe(true);
  });

  it('accepts a wrapper that rebuilt the error keeping only our code (Prisma), but has no instance to return', () => {
    const rebuilt = (code: string): Error =>
      Object.assign(new Error('The active connection failed and was replaced'), {
        name: 'PrismaClientKnownRequestError',
        code,
        meta: { modelName: 'Item' },
      });
    for (const [code, recovered] of [
      ['FAILOVER_SUCCESS', true],
      ['TRANSACTION_RESOLUTION_UNKNOWN', true],
      ['FAILOVER_FAILED', false],
    ] as const) {
      expect(isFailoverError(rebuilt(code))).toBe(true);
      expect(isFailoverError(wrap(rebuilt(code), ['cause', 'original']))).toBe(true);
      expect(isRecoveredFailover(rebuilt(code))).toBe(recovered);
      expect(findFailoverError(rebuilt(code))).toBeUndefined();
    }
    for (const other of ['ECONNRESET', 'P2002', 'FAILOVER', '57P01'])
      expect(isFailoverError(rebuilt(other))).toBe(false);
  });
});
