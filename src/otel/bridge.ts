/**
 * The OpenTelemetry bridge: a subscriber of aurora-ha's diagnostics channels (src/observe/), the
 * one source of what happened, turned into the metrics of instruments.ts and the spans of
 * spans.ts. Every handler is wrapped: telemetry that fails is reported once as a warning and
 * never reaches a query. `aurora_ha.connection.open` is an observable up-down counter read at
 * collection time from the per-instance open counts (observe/open-connections.ts) and the
 * roles the topology channel reported, so nothing is counted per connect or close.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Attributes, Meter } from '@opentelemetry/api';
import {
  CONNECT_CHANNEL,
  FAILOVER_CHANNEL,
  MONITOR_CHANNEL,
  TOPOLOGY_CHANNEL,
  type ConnectMessage,
  type FailoverMessage,
  type MonitorMessage,
  type TopologyMessage,
} from '../observe/channels.js';
import { openConnectionCounts } from '../observe/open-connections.js';
import { InstrumentSet } from './instruments.js';
import type { Api } from './load-api.js';
import { SpanBridge } from './spans.js';
import { warnOtelOnce } from './load-api.js';

type Handler<M> = (m: M) => void;

function guarded<M>(what: string, fn: Handler<M>): (m: unknown) => void {
  return (m: unknown) => {
    try {
      fn(m as M);
    } catch (err) {
      warnOtelOnce(
        'AURORA_HA_OTEL_FAILED',
        `aurora-ha: the OpenTelemetry bridge failed on ${what} (${err instanceof Error ? err.message : String(err)}); metrics and traces may be incomplete, connections are not affected`,
      );
    }
  };
}

export class OtelBridge {
  readonly #instruments: InstrumentSet;
  readonly #spans: SpanBridge;
  /** `host:port` → role, from the topology channel (writer-changed, readers-changed). */
  readonly #roles = new Map<string, 'writer' | 'reader'>();

  constructor(api: Api, version: string) {
    this.#instruments = new InstrumentSet(api, version, (meter) => this.#observeOpen(meter));
    this.#spans = new SpanBridge(api, version);
  }

  /** The span side, for the failover hooks of every build copy (failover-hooks.ts). */
  get spans(): SpanBridge {
    return this.#spans;
  }

  /** Subscribe to every channel. Subscribers stay for the life of the process. */
  start(): void {
    subscribe(
      `tracing:${FAILOVER_CHANNEL}:start`,
      guarded('failover start', (m: FailoverMessage) => this.#spans.failoverStarted(m)),
    );
    subscribe(
      `tracing:${FAILOVER_CHANNEL}:asyncEnd`,
      guarded('failover end', (m: FailoverMessage) => this.#failoverEnded(m)),
    );
    subscribe(
      `tracing:${CONNECT_CHANNEL}:asyncEnd`,
      guarded('connect', (m: ConnectMessage) => this.#connected(m)),
    );
    subscribe(
      TOPOLOGY_CHANNEL,
      guarded('topology', (m: TopologyMessage) => this.#topology(m)),
    );
    subscribe(
      MONITOR_CHANNEL,
      guarded('monitor', (m: MonitorMessage) => this.#monitor(m)),
    );
  }

  #failoverEnded(m: FailoverMessage): void {
    this.#spans.failoverEnded(m);
    const metrics = this.#instruments.get();
    if (metrics === undefined) return;
    const attributes: Attributes = {
      outcome: m.outcome ?? 'unknown',
      mode: m.mode,
      plugin: m.plugin,
      cluster: m.clusterId,
    };
    metrics.failoverCount.add(1, attributes);
    if (m.durationMs !== undefined) metrics.failoverDuration.record(m.durationMs / 1000, attributes);
  }

  #connected(m: ConnectMessage): void {
    this.#instruments.get()?.connectionOpens.add(1, { purpose: m.purpose, outcome: m.outcome ?? 'unknown' });
  }

  #topology(m: TopologyMessage): void {
    if (m.event === 'refreshed') {
      this.#instruments.get()?.topologyRefreshes.add(1, { cluster: m.clusterId });
    } else if (m.event === 'writer-changed') {
      if (m.before !== undefined && this.#roles.get(m.before) === 'writer') this.#roles.delete(m.before);
      if (m.after !== undefined) this.#roles.set(m.after, 'writer');
    } else if (m.event === 'readers-changed') {
      for (const h of m.removed) if (this.#roles.get(h) === 'reader') this.#roles.delete(h);
      for (const h of m.readers) this.#roles.set(h, 'reader');
    }
  }

  #monitor(m: MonitorMessage): void {
    this.#spans.monitor(m);
    const metrics = this.#instruments.get();
    if (metrics === undefined) return;
    if (m.event === 'mode' && m.mode === 'panic')
      metrics.monitorPanics.add(1, { cluster: m.clusterId, reason: m.reason });
    else if (m.event === 'host-monitoring-abort') metrics.hostMonitoringAborts.add(1, { instance: m.host });
  }

  #observeOpen(meter: Meter): void {
    const gauge = meter.createObservableUpDownCounter('aurora_ha.connection.open', {
      description: 'Open aurora-ha connections of this process, by instance and its role',
      unit: '{connection}',
    });
    gauge.addCallback(
      guarded('connection.open', (result: { observe(v: number, a: Attributes): void }) => {
        for (const [instance, n] of openConnectionCounts()) {
          result.observe(n, { instance, role: this.#roles.get(instance) ?? 'unknown' });
        }
      }),
    );
  }

  /** Create the instruments now if a provider is registered (so collection finds them). */
  warm(): void {
    this.#instruments.get();
  }
}
