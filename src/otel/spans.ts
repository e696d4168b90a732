/**
 * Traces from the channels: one `aurora_ha.failover` span per failover of one connection,
 * started in the context active when the failover began (the user's call: the failing
 * statement's continuation), a span event per phase at the time it ended, ended at the outcome
 * with the failover's own timestamps; and one root span `aurora_ha.monitor.search` per writer
 * search of a failover2 topology monitor (nobody's call: it serves every connection of the
 * cluster), with an event when a probe verified the writer.
 */
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { FailoverMessage, MonitorMessage } from '../observe/channels.js';
import type { Api } from './load-api.js';

export const TRACER_NAME = 'aurora-ha';

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

  failoverStarted(m: FailoverMessage): void {
    const span = this.#tracer().startSpan(
      'aurora_ha.failover',
      { kind: this.api.SpanKind.INTERNAL, startTime: m.startedAt, attributes: failoverAttributes(m) },
      this.api.context.active(),
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
