/**
 * The `aurora_ha.failover` span's link to the failed statement and its place in the trace, with
 * the real SDK in this process: a fake driver whose prototype `query` starts a CLIENT span the way
 * instrumentation-pg / -mysql2 do (synchronously, never active), AuroraHaSpanProcessor in the
 * provider, and the failover traced as the failover base does it (aroundFailover → traceFailover
 * → inFailover). Checked: no wrapper without the processor; the link goes to the connection's own
 * statement under 10 connections failing together; the parent is the statement's parent; the
 * failover's work is under the failover span; an idle loss links to nothing; a driver span active
 * at the failover's start is skipped for its parent.
 */
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFailover, type FailoverMessage, type FailoverTrigger } from '../../src/observe/channels.js';
import { aroundFailover, inFailover } from '../../src/observe/failover-work.js';
import { noteStatementSpans } from '../../src/observe/statement-spans.js';
import { installOpenTelemetry } from '../../src/otel/install.js';
import { AuroraHaSpanProcessor } from '../../src/otel/span-processor.js';

const spans = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

/** A driver connection whose `query` is instrumented like pg's: a span started inside, ended at the outcome. */
class FakeNative {
  constructor(readonly host: string) {}
  query(fail: boolean): Promise<void> {
    const span = trace
      .getTracer('@opentelemetry/instrumentation-pg')
      .startSpan('pg.query:SELECT', { attributes: { 'server.address': this.host } });
    return new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        if (fail) span.setStatus({ code: 2 });
        span.end();
        if (fail) reject(new Error('Connection terminated unexpectedly'));
        else resolve();
      }, 1),
    );
  }
}

function message(id: number, trigger: FailoverTrigger, oldHost: string): FailoverMessage {
  return {
    connectionId: id,
    clusterId: 'c',
    plugin: 'failover2',
    mode: 'strict-writer',
    trigger,
    oldHost,
    newHost: undefined,
    outcome: undefined,
    phases: [],
    durationMs: undefined,
    startedAt: Date.now(),
  };
}

/** What the failover base does for a traced failover of `conn`; the work opens a "reconnect" span. */
function failOver(m: FailoverMessage, conn: object | undefined): Promise<void> {
  return aroundFailover(m, conn, () =>
    traceFailover(m, () =>
      inFailover(m, async () => {
        await new Promise((r) => setTimeout(r, 1));
        trace.getTracer('test').startSpan('reconnect').end();
        m.outcome = 'FailoverSuccessError';
        m.durationMs = 1;
      }),
    ),
  );
}

const byName = (name: string): ReadableSpan[] => spans.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan | Span): string => s.spanContext().spanId;

it('without AuroraHaSpanProcessor nothing is wrapped (nothing runs per query)', () => {
  const native = new FakeNative('h');
  noteStatementSpans({}, native, ['query']);
  expect(Object.hasOwn(native, 'query')).toBe(false);
});

describe('failover span: link and parent', () => {
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({
        spanProcessors: [new AuroraHaSpanProcessor(), new SimpleSpanProcessor(spans)],
      }),
    );
    installOpenTelemetry();
  });

  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it("10 connections failing together: each failover links its own connection's failed statement", async () => {
    spans.reset();
    const app = trace.getTracer('app');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        app.startActiveSpan(`app.statement.${i}`, async (user) => {
          const conn = {};
          const native = new FakeNative(`host-${i}`);
          noteStatementSpans(conn, native, ['query']);
          await native.query(false); // an earlier statement that succeeded
          await native.query(true).catch(() => failOver(message(i, 'network', `host-${i}:5432`), conn));
          user.end();
        }),
      ),
    );
    const failovers = byName('aurora_ha.failover');
    expect(failovers).toHaveLength(10);
    const all = new Map(spans.getFinishedSpans().map((s) => [idOf(s), s]));
    for (const f of failovers) {
      const i = f.attributes['aurora_ha.connection.id'] as number;
      const user = all.get(parentOf(f)!);
      expect(user?.name).toBe(`app.statement.${i}`);
      expect(f.links).toHaveLength(1);
      const linked = all.get(f.links[0]!.context.spanId)!;
      expect(linked.name).toBe('pg.query:SELECT');
      expect(linked.attributes['server.address']).toBe(`host-${i}`);
      expect(linked.status.code).toBe(2);
      expect(parentOf(linked)).toBe(parentOf(f));
      const work = byName('reconnect').filter((s) => parentOf(s) === idOf(f));
      expect(work).toHaveLength(1);
    }
  });

  it('a loss found while idle links to nothing (the last statement there succeeded)', async () => {
    spans.reset();
    const conn = {};
    const native = new FakeNative('h');
    noteStatementSpans(conn, native, ['query']);
    await trace.getTracer('app').startActiveSpan('app.statement', async (user) => {
      await native.query(false);
      await failOver(message(1, 'idle-loss', 'h:5432'), conn);
      user.end();
    });
    const [f] = byName('aurora_ha.failover');
    expect(f?.links).toEqual([]);
    expect(parentOf(f!)).toBe(idOf(byName('app.statement')[0]!));
  });

  it("a driver span active at the failover's start (pg-pool.connect) is passed for its parent", async () => {
    spans.reset();
    await trace.getTracer('app').startActiveSpan('app.connect', async (user) => {
      await trace
        .getTracer('@opentelemetry/instrumentation-pg')
        .startActiveSpan('pg-pool.connect', async (pool) => {
          await failOver(message(1, 'idle-loss', 'h:5432'), undefined);
          pool.end();
        });
      user.end();
    });
    const [f] = byName('aurora_ha.failover');
    expect(parentOf(f!)).toBe(idOf(byName('app.connect')[0]!));
  });
});
