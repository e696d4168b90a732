/**
 * The OpenTelemetry bridge (src/otel/) with the real SDK in this process, fed through the
 * channel helpers of src/observe/channels.ts: metric names, attributes and units; the failover
 * span as a child of the user's span with one event per phase; the monitor's search as a root
 * span; internal work suppressed; a failing meter provider reported once, never thrown.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  failoverTraced,
  publishMonitor,
  publishTopology,
  traceConnect,
  traceFailover,
  type FailoverMessage,
} from '../../src/observe/channels.js';
import { runInternal } from '../../src/observe/internal-work.js';
import { moveOpenCount } from '../../src/observe/open-connections.js';
import { installOpenTelemetry } from '../../src/otel/install.js';

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new ManualReader();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  installOpenTelemetry();
});

afterAll(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

async function collected(): Promise<
  Map<string, { unit: string; points: { attributes: object; value: unknown }[] }>
> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const out = new Map<string, { unit: string; points: { attributes: object; value: unknown }[] }>();
  for (const sm of resourceMetrics.scopeMetrics) {
    if (sm.scope.name !== 'aurora-ha') continue;
    for (const m of sm.metrics) {
      out.set(m.descriptor.name, {
        unit: m.descriptor.unit,
        points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      });
    }
  }
  return out;
}

function failoverMessage(): FailoverMessage {
  return {
    connectionId: 7,
    clusterId: 'cluster-x',
    plugin: 'failover2',
    mode: 'strict-writer',
    trigger: 'network',
    oldHost: 'a:5432',
    newHost: undefined,
    outcome: undefined,
    phases: [],
    durationMs: undefined,
    startedAt: Date.now() - 600,
  };
}

describe('OpenTelemetry bridge', () => {
  it('a failover: one span under the user span, an event per phase, count and duration', async () => {
    expect(failoverTraced()).toBe(true);
    const m = failoverMessage();
    const tracer = trace.getTracer('app');
    await tracer.startActiveSpan('user', async (user) => {
      await traceFailover(m, async () => {
        m.phases.push({ name: 'detect', ms: 3 }, { name: 'search', ms: 580 }, { name: 'reconnect', ms: 17 });
        m.newHost = 'b:5432';
        m.outcome = 'FailoverSuccessError';
        m.durationMs = 600;
      });
      user.end();
    });
    const finished = spans.getFinishedSpans();
    const user = finished.find((s) => s.name === 'user')!;
    const f = finished.find((s) => s.name === 'aurora_ha.failover')!;
    expect(f.parentSpanContext?.spanId).toBe(user.spanContext().spanId);
    expect(f.events.map((e) => e.name)).toEqual(['detect', 'search', 'reconnect']);
    expect(f.attributes).toMatchObject({
      'aurora_ha.connection.id': 7,
      'aurora_ha.cluster': 'cluster-x',
      'aurora_ha.failover.new_host': 'b:5432',
      'aurora_ha.failover.outcome': 'FailoverSuccessError',
    });
    const ms = (t: [number, number]): number => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(f.duration)).toBeCloseTo(600, 0);
    const got = await collected();
    expect(got.get('aurora_ha.failover.count')?.points).toEqual([
      {
        attributes: {
          outcome: 'FailoverSuccessError',
          mode: 'strict-writer',
          plugin: 'failover2',
          cluster: 'cluster-x',
        },
        value: 1,
      },
    ]);
    const hist = got.get('aurora_ha.failover.duration')!;
    expect(hist.unit).toBe('s');
    expect(hist.points[0]!.value).toMatchObject({ count: 1, sum: 0.6 });
  });

  it('connects, topology refreshes, roles of open connections, panics, aborts', async () => {
    await traceConnect('monitor', { host: 'a', port: 5432 }, undefined, async () => 1);
    await traceConnect('failover', { host: 'b', port: 5432 }, 7, () =>
      Promise.reject(new Error('refused')),
    ).catch(() => undefined);
    publishTopology(() => ({ event: 'refreshed', clusterId: 'cluster-x', hosts: 2, at: Date.now() }));
    publishTopology(() => ({
      event: 'writer-changed',
      clusterId: 'cluster-x',
      before: 'a:5432',
      after: 'b:5432',
      at: Date.now(),
    }));
    moveOpenCount(undefined, 'b:5432');
    publishMonitor(() => ({
      event: 'mode',
      clusterId: 'cluster-x',
      mode: 'panic',
      reason: 'waiters',
      at: Date.now(),
    }));
    publishMonitor(() => ({
      event: 'writer-verified',
      clusterId: 'cluster-x',
      writer: 'b:5432',
      searchMs: 5,
      at: Date.now(),
    }));
    publishMonitor(() => ({
      event: 'mode',
      clusterId: 'cluster-x',
      mode: 'normal',
      reason: 'writer-verified',
      at: Date.now(),
    }));
    publishMonitor(() => ({
      event: 'host-monitoring-abort',
      host: 'a:5432',
      callsAborted: 2,
      detectionMs: 30,
      at: Date.now(),
    }));
    const got = await collected();
    moveOpenCount('b:5432', undefined);
    expect(got.get('aurora_ha.connection.opens')?.points).toEqual([
      { attributes: { purpose: 'monitor', outcome: 'ok' }, value: 1 },
      { attributes: { purpose: 'failover', outcome: 'Error' }, value: 1 },
    ]);
    expect(got.get('aurora_ha.topology.refreshes')?.points).toEqual([
      { attributes: { cluster: 'cluster-x' }, value: 1 },
    ]);
    expect(got.get('aurora_ha.connection.open')?.points).toEqual([
      { attributes: { instance: 'b:5432', role: 'writer' }, value: 1 },
    ]);
    expect(got.get('aurora_ha.monitor.panics')?.points).toEqual([
      { attributes: { cluster: 'cluster-x', reason: 'waiters' }, value: 1 },
    ]);
    expect(got.get('aurora_ha.host_monitoring.aborts')?.points).toEqual([
      { attributes: { instance: 'a:5432' }, value: 1 },
    ]);
    expect([...got.keys()].some((n) => n.startsWith('db.client'))).toBe(false);
    const search = spans.getFinishedSpans().find((s) => s.name === 'aurora_ha.monitor.search')!;
    expect(search.parentSpanContext).toBeUndefined();
    expect(search.events.map((e) => e.name)).toEqual(['writer-verified']);
  });

  it("aurora-ha's internal work starts no span, even inside the user's span", () => {
    const tracer = trace.getTracer('app');
    spans.reset();
    tracer.startActiveSpan('user', (user) => {
      runInternal(() => tracer.startSpan('internal query').end());
      tracer.startSpan('user query').end();
      user.end();
    });
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['user query', 'user']);
  });

  it('a meter provider that throws: the failover still completes, one warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const broken = {
      getMeter: () => {
        throw new Error('broken provider');
      },
    };
    metrics.disable();
    metrics.setGlobalMeterProvider(broken);
    try {
      for (let i = 0; i < 2; i++) {
        const m = failoverMessage();
        await traceFailover(m, async () => {
          m.outcome = 'FailoverFailedError';
          m.durationMs = 1;
        });
      }
      const codes = warn.mock.calls.map((c) => c[1]?.code);
      expect(codes).toEqual(['AURORA_HA_OTEL_FAILED']);
    } finally {
      warn.mockRestore();
      metrics.disable();
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [] }));
    }
  });
});
