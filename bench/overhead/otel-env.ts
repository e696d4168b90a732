/**
 * `BENCH_OTEL=1`: the "everything observed" configuration of the overhead benchmark. Imported
 * first by run.ts, before the built package loads: registers the OpenTelemetry SDK (a meter
 * provider with a reader that is never collected, a tracer provider with an in-memory exporter
 * that is reset now and then, and aurora-ha's own `AuroraHaSpanProcessor`, which wraps each
 * physical connection's native query to note its statement span) so aurora-ha's bridge
 * activates, and subscribes a no-op to every aurora-ha channel (each TracingChannel's five sub-channels, the plain ones, the deprecated
 * alias). No driver instrumentation: its own per-query cost is not aurora-ha's. Without the
 * variable nothing here runs, and the process is as before.
 */
import { subscribe } from 'node:diagnostics_channel';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export const OTEL_OBSERVED = process.env.BENCH_OTEL === '1';

if (OTEL_OBSERVED) {
  // From the built package, as the measured clients are (built-package.ts).
  const entry = new URL('../../dist/index.js', import.meta.url).href;
  const { AuroraHaSpanProcessor } = (await import(entry)) as typeof import('../../src/index.js');
  const spans = new InMemorySpanExporter();
  new NodeTracerProvider({
    spanProcessors: [new AuroraHaSpanProcessor(), new SimpleSpanProcessor(spans)],
  }).register();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleReader()] }));
  setInterval(() => spans.reset(), 5000).unref();
  const noop = (): void => undefined;
  for (const name of ['aurora-ha:failover', 'aurora-ha:connect']) {
    for (const sub of ['start', 'end', 'asyncStart', 'asyncEnd', 'error'])
      subscribe(`tracing:${name}:${sub}`, noop);
  }
  for (const name of ['aurora-ha:topology', 'aurora-ha:monitor', 'aurora-ha:failover2'])
    subscribe(name, noop);
}
