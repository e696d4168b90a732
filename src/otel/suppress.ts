/**
 * aurora-ha's own work out of the user's traces: the runner installed into observe/internal-work.ts
 * runs each internal query or monitor/probe connect in a context with tracing suppressed, the
 * key OpenTelemetry's SDK tracers honour (`isTracingSuppressed` of `@opentelemetry/core`, created
 * with `createContextKey`, i.e. `Symbol.for` of the same text, so the API alone can set it).
 * instrumentation-pg / instrumentation-mysql2 start their spans through such a tracer, which
 * then hands out a non-recording span: no span is exported, none is a parent.
 */
import { setInternalRunner } from '../observe/internal-work.js';
import type { Api } from './load-api.js';

/** The text of `@opentelemetry/core`'s SUPPRESS_TRACING key (stable since core 1.0). */
export const SUPPRESS_TRACING_KEY_TEXT = 'OpenTelemetry SDK Context Key SUPPRESS_TRACING';

export function installSuppression(api: Api): void {
  const key = api.createContextKey(SUPPRESS_TRACING_KEY_TEXT);
  setInternalRunner((fn) => api.context.with(api.context.active().setValue(key, true), fn));
}
