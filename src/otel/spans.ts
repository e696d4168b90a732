/**
 * Traces from the channels: one `aurora_ha.failover` span per failover of one connection,
 * started in the user's context — the failed statement's parent context when
 * AuroraHaSpanProcessor caught that statement's span (which it then links to), otherwise the
 * context active when the failover began, past a driver span active there (instrumentation-pg's
 * `pg-pool.connect` around a pool hand-out) — made the active span of the failover's own work,
 * with a span event per phase at the time it ended, ended at the outcome with the failover's own
 * timestamps; and one root span `aurora_ha.monitor.search` per writer search of a failover2
 * topology monitor (nobody's call: it serves every connection of the cluster), with an event
 * when a probe verified the writer.
 */
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { FailoverMessage, MonitorMessage } from '../observe/channels.js';
import type { NotedStatement } from '../observe/statement-spans.js';
import type { Api } from './load-api.js';

export const TRACER_NAME = 'aurora-ha';

/** The scopes of the driver instrumentations whose spans are never a failover's parent. */
const DRIVER_SCOPE = /^@opentelemetry\/instrumentation-(pg|mysql2)$/;

/** What the SDK's spans expose (ReadableSpan, 1.x and 2.x names); absent on other spans. */
interface SdkSpanView {
  instrumentationScope?: { name?: string };
  instrumentationLibrary?: { name?: string };
  parentSpanContext?: SpanContext;
  parentSpanId?: string;
}

export function failoverAttributes(m: FailoverMessage): Attributes {
  const a: Attributes = {
    'aurora_ha.connection.id': m.connectionId,
    'aurora_ha.cluster': m.clusterId,
    'aurora_ha.plugin': m.plugin,
    'aurora_ha.failover.mode': m.mode,
    'aurora_ha.failover.trigger': m.trigger,
  };
  if (m.oldHost !== undefined) a['aurora_ha.failover.old_host'] = m.oldHost;
  return a;
}

export class SpanBridge {
  readonly #failovers = new WeakMap<FailoverMessage, Span>();
  readonly #searches = new Map<string, { span: Span; startedAt: number }>();

  constructor(
    private readonly api: Api,
    private readonly version: string,
  ) {}

  #tracer(): Tracer {
    return this.api.trace.getTracer(TRACER_NAME, this.version);
  }

  /** Set by `around` on the context the failover's trace starts in: the failed statement's span. */
  get #linkKey(): symbol {
    return (this.#key ??= this.api.createContextKey('aurora-ha failed statement span'));
  }
  #key: symbol | undefined;

  /**
   * Run `fn` (the traced failover, its start included) in the user's context: the parent of the
   * failed statement's span `noted` when there is one (also put on the context for the link),
   * else the active context past any driver span.
   */
  around<T>(noted: NotedStatement | undefined, fn: () => T): T {
    const api = this.api;
    const statement = noted?.span as Span | undefined;
    const parent = statement !== undefined ? (noted?.parent as Context | undefined) : undefined;
    let ctx = parent ?? this.#pastDriverSpan(api.context.active());
    if (statement !== undefined) ctx = ctx.setValue(this.#linkKey, statement.spanContext());
    return api.context.with(ctx, fn);
  }

  /** Run `fn` (the failover's own work) with the failover span of `m` active. */
  within<T>(m: FailoverMessage, fn: () => T): T {
    const span = this.#failovers.get(m);
    if (span === undefined) return fn();
    const api = this.api;
    return api.context.with(api.trace.setSpan(api.context.active().deleteValue(this.#linkKey), span), fn);
  }

  /** `ctx`, or when its span is a driver instrumentation's (still running), that span's parent's. */
  #pastDriverSpan(ctx: Context): Context {
    const api = this.api;
    const view = api.trace.getSpan(ctx) as SdkSpanView | undefined;
    const scope = (view?.instrumentationScope ?? view?.instrumentationLibrary)?.name;
    if (view === undefined || scope === undefined || !DRIVER_SCOPE.test(scope)) return ctx;
    const own = (view as unknown as Span).spanContext();
    const parent =
      view.parentSpanContext ??
      (view.parentSpanId !== undefined
        ? { traceId: own.traceId, spanId: view.parentSpanId, traceFlags: own.traceFlags, isRemote: false }
        : undefined);
    return parent === undefined ? api.trace.deleteSpan(ctx) : api.trace.setSpanContext(ctx, parent);
  }

  failoverStarted(m: FailoverMessage): void {
    const api = this.api;
    const active = api.context.active();
    const failed = active.getValue(this.#linkKey) as SpanContext | undefined;
    const links: Link[] = failed !== undefined ? [{ context: failed }] : [];
    const span = this.#tracer().startSpan(
      'aurora_ha.failover',
      { kind: api.SpanKind.INTERNAL, startTime: m.startedAt, attributes: failoverAttributes(m), links },
      active.deleteValue(this.#linkKey),
    );
    this.#failovers.set(m, span);
  }

  failoverEnded(m: FailoverMessage): void {
    const span = this.#failovers.get(m);
    if (span === undefined) return;
    this.#failovers.delete(m);
    let at = m.startedAt;
    for (const phase of m.phases) {
      at += phase.ms;
      span.addEvent(phase.name, { 'aurora_ha.phase.duration_ms': Math.round(phase.ms * 10) / 10 }, at);
    }
    if (m.newHost !== undefined) span.setAttribute('aurora_ha.failover.new_host', m.newHost);
    if (m.outcome !== undefined) span.setAttribute('aurora_ha.failover.outcome', m.outcome);
    if (m.outcome === 'FailoverFailedError' || m.outcome === 'ConfigurationError') {
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: m.outcome });
    }
    span.end(m.startedAt + (m.durationMs ?? Date.now() - m.startedAt));
  }

  monitor(m: MonitorMessage): void {
    if (m.event === 'mode' && m.mode === 'panic') {
      if (this.#searches.has(m.clusterId)) return;
      const span = this.#tracer().startSpan(
        'aurora_ha.monitor.search',
        {
          root: true,
          kind: this.api.SpanKind.INTERNAL,
          startTime: m.at,
          attributes: { 'aurora_ha.cluster': m.clusterId, 'aurora_ha.monitor.reason': m.reason },
        },
        this.api.ROOT_CONTEXT,
      );
      this.#searches.set(m.clusterId, { span, startedAt: m.at });
      return;
    }
    if (m.event === 'writer-verified') {
      const search = this.#searches.get(m.clusterId);
      search?.span.addEvent(
        'writer-verified',
        { 'aurora_ha.writer': m.writer, 'aurora_ha.search_ms': m.searchMs },
        m.at,
      );
      search?.span.setAttribute('aurora_ha.writer', m.writer);
      return;
    }
    if (m.event === 'mode' && m.mode === 'normal') {
      const search = this.#searches.get(m.clusterId);
      if (search === undefined) return;
      this.#searches.delete(m.clusterId);
      search.span.setAttribute('aurora_ha.monitor.end_reason', m.reason);
      if (m.reason !== 'writer-verified') {
        search.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: m.reason });
      }
      search.span.end(m.at);
    }
  }
}
