/**
 * A general rule of the failover base, checked over generated scripts (fast-check): whatever
 * the order of instance failures, refusals, silences, promotions and recoveries while a call
 * fails over, the call ends in one of the documented outcomes — FailoverSuccessError on an
 * instance that was the writer, with exactly one switch, or FailoverFailedError with none —
 * by failoverTimeoutMs, and nothing the search opened stays open. v1 and v2 alike.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  until,
  type FailoverVersion,
} from '../support/memory-driver/index.js';

vi.setConfig({ testTimeout: 30_000 });
afterEach(endAllClients);

type StepKind = 'refuse' | 'accept' | 'silence' | 'heal' | 'promote' | 'reset' | 'slow';
interface Step {
  readonly at: number;
  readonly kind: StepKind;
  readonly instance: 1 | 2 | 3;
}

const step: fc.Arbitrary<Step> = fc.record({
  at: fc.integer({ min: 0, max: 80 }),
  kind: fc.constantFrom<StepKind>('refuse', 'accept', 'silence', 'heal', 'promote', 'reset', 'slow'),
  instance: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
});

function apply(cluster: MemoryCluster, s: Step, wasWriter: Set<string>): void {
  const id = `instance-${s.instance}`;
  const inst = cluster.instance(id);
  switch (s.kind) {
    case 'refuse':
      inst.connectMode = 'refuse';
      break;
    case 'accept':
      inst.connectMode = 'accept';
      break;
    case 'silence':
      cluster.silence(id);
      break;
    case 'heal':
      cluster.heal(id);
      break;
    case 'promote':
      cluster.promote(id);
      wasWriter.add(id);
      break;
    case 'reset':
      cluster.reset(id);
      break;
    case 'slow':
      inst.connectDelayMs = 30;
      break;
  }
}

/** Wide enough for a loaded machine; the budget itself is one timer. */
const SLACK_MS = 1_500;
const TIMEOUT_MS = 150;

describe.each<FailoverVersion>(['failover', 'failover2'])(
  'failover outcomes over generated scripts (%s)',
  (version) => {
    it('every script ends in a documented outcome by failoverTimeoutMs, nothing left open', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 6 }), async (steps) => {
          const cluster = new MemoryCluster();
          const wasWriter = new Set(['instance-1']);
          const client = await connectedClient(cluster, {
            plugins: [version],
            options: { failoverTimeoutMs: TIMEOUT_MS, failoverReaderConnectTimeoutMs: 60 },
          });
          cluster.instance('instance-1').queryMode = 'silent';
          const call = outcome(client.query('SELECT 1'));
          await Promise.resolve();
          const t0 = Date.now();
          cluster.instance('instance-1').connectMode = 'refuse';
          cluster.reset('instance-1');
          cluster.instance('instance-1').queryMode = 'answer';
          const timers = steps.map((s) => setTimeout(() => apply(cluster, s, wasWriter), s.at));
          for (const t of timers) t.unref();
          const r = await call;
          const took = Date.now() - t0;
          for (const t of timers) clearTimeout(t);
          const err = errorOf(r);
          expect(took).toBeLessThan(TIMEOUT_MS + SLACK_MS);
          if (err instanceof FailoverSuccessError) {
            expect(client.switches).toHaveLength(1);
            expect(wasWriter.has(client.instance())).toBe(true);
          } else {
            expect(err).toBeInstanceOf(FailoverFailedError);
            expect(client.switches).toHaveLength(0);
            expect(client.failed).toHaveLength(1);
          }
          await client.end();
          // What the search opened is closed (v2's monitor holds its own until it lingers out: not counted).
          if (version === 'failover')
            await until(() => cluster.openConnections() === 0, 'every connection closed', 1_000);
        }),
        { numRuns: 8 },
      );
    });
  },
);
