// Preloaded with `node --import` by the OpenTelemetry test's children (test/integration/otel-*.test.ts):
// the real SDK with in-memory exporters and aurora-ha's AuroraHaSpanProcessor (from the build the
// child uses), instrumentation-pg and instrumentation-mysql2 registered before the application
// loads pg / mysql2 — through the require hooks, and for the ESM child (`OTEL_CHILD.module =
// 'esm'`) also through the instrumentations' ESM loader hook (import-in-the-middle, registered
// with `module.register`; 'esm-no-hook' leaves it out) — and a
// counter of mysql2's own `mysql2:query` tracing-channel events. The child reads them through
// globalThis.__otelTest.
import dc from 'node:diagnostics_channel';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';

class ManualReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const settings = JSON.parse(process.env.OTEL_CHILD ?? '{}');
const esm = settings.module !== 'cjs';
// 'esm-no-hook': pg and mysql2 are CommonJS packages, loaded by the CommonJS loader even from an
// ESM import, so the require hooks alone patch them; the test shows it.
if (settings.module === 'esm') register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
// From the build the application uses (its module state is shared by both builds anyway).
const { AuroraHaSpanProcessor } = esm
  ? await import(pathToFileURL(path.join(settings.root, 'dist/index.js')).href)
  : createRequire(import.meta.url)(path.join(settings.root, 'dist/index.cjs'));

const spans = new InMemorySpanExporter();
const tracerProvider = new NodeTracerProvider({
  spanProcessors: [new AuroraHaSpanProcessor(), new SimpleSpanProcessor(spans)],
});
tracerProvider.register();
const reader = new ManualReader();
const meterProvider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(meterProvider);
registerInstrumentations({ instrumentations: [new PgInstrumentation(), new MySQL2Instrumentation()] });

/** Every `mysql2:query` / `mysql2:execute` / `mysql2:connect` start, with its SQL (the user's and, if any leaked, ours). */
const mysql2Events = [];
for (const name of ['mysql2:query', 'mysql2:execute', 'mysql2:connect']) {
  dc.tracingChannel(name).subscribe({
    start(ctx) {
      mysql2Events.push({ channel: name, query: String(ctx.query ?? '') });
    },
    end() {},
    asyncStart() {},
    asyncEnd() {},
    error() {},
  });
}

globalThis.__otelTest = { spans, reader, mysql2Events };
