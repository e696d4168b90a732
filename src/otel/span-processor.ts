/**
 * `AuroraHaSpanProcessor`, the span processor a user adds to their OpenTelemetry SDK so that an
 * `aurora_ha.failover` span links to the failed statement's span: instrumentation-pg / -mysql2
 * start that span inside the driver call and never make it active, so only the SDK's `onStart`
 * sees it (observe/statement-spans.ts notes it per physical connection). It records nothing,
 * exports nothing and keeps no span past the next statement of the same connection; without it
 * the failover span has no link, everything else is the same.
 */
import { listenForStatementSpans, noteStartedSpan } from '../observe/statement-spans.js';

/**
 * Structurally an SDK `SpanProcessor` (its parameters typed `unknown`, so that the declarations
 * need neither the SDK nor the optional API package). Add it to the tracer provider's
 * `spanProcessors`, next to the exporting one; one instance is enough.
 */
export class AuroraHaSpanProcessor {
  constructor() {
    listenForStatementSpans();
  }

  onStart(span: unknown, parentContext: unknown): void {
    noteStartedSpan(span, parentContext);
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
