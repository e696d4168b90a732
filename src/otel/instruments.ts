/**
 * The metric instruments of aurora-ha (names fixed by docs/observability.md › OpenTelemetry),
 * created from the meter provider registered now and re-created when another one is registered
 * later (the API has no proxy for metrics). No `db.client.connection.*`: instrumentation-pg owns
 * those names.
 */
import type { Counter, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import type { Api } from './load-api.js';

export const METER_NAME = 'aurora-ha';

export interface Instruments {
  readonly failoverCount: Counter;
  readonly failoverDuration: Histogram;
  readonly connectionOpens: Counter;
  readonly topologyRefreshes: Counter;
  readonly hostMonitoringAborts: Counter;
  readonly monitorPanics: Counter;
}

/** Seconds: from a few ms (a verified writer at hand) to failoverTimeoutMs (300 s by default). */
const FAILOVER_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function create(meter: Meter): Instruments {
  return {
    failoverCount: meter.createCounter('aurora_ha.failover.count', {
      description: 'Failovers of aurora-ha logical connections, by outcome, mode, plugin and cluster',
      unit: '{failover}',
    }),
    failoverDuration: meter.createHistogram('aurora_ha.failover.duration', {
      description: "From the failing call's error to the failover's outcome",
      unit: 's',
      advice: { explicitBucketBoundaries: FAILOVER_BUCKETS_S },
    }),
    connectionOpens: meter.createCounter('aurora_ha.connection.opens', {
      description: 'Physical connections aurora-ha opened (or tried to), by purpose and outcome',
      unit: '{connection}',
    }),
    topologyRefreshes: meter.createCounter('aurora_ha.topology.refreshes', {
      description: 'Topologies read and accepted, by cluster',
      unit: '{refresh}',
    }),
    hostMonitoringAborts: meter.createCounter('aurora_ha.host_monitoring.aborts', {
      description: 'Hosts host monitoring declared unavailable, aborting the calls in flight there',
      unit: '{abort}',
    }),
    monitorPanics: meter.createCounter('aurora_ha.monitor.panics', {
      description: "The failover2 topology monitor's writer searches (panic mode entered), by cluster",
      unit: '{search}',
    }),
  };
}

/** Instruments of the currently registered provider; `undefined` while none is registered. */
export class InstrumentSet {
  #provider: MeterProvider | undefined;
  #instruments: Instruments | undefined;
  #onNewMeter: (meter: Meter) => void;

  constructor(
    private readonly api: Api,
    private readonly version: string,
    onNewMeter: (meter: Meter) => void,
  ) {
    this.#onNewMeter = onNewMeter;
  }

  get(): Instruments | undefined {
    const provider = this.api.metrics.getMeterProvider();
    if (provider === this.#provider) return this.#instruments;
    this.#provider = provider;
    const meter = provider.getMeter(METER_NAME, this.version);
    if (isNoopMeter(this.api, meter)) {
      this.#instruments = undefined;
      return undefined;
    }
    this.#instruments = create(meter);
    this.#onNewMeter(meter);
    return this.#instruments;
  }
}

let noopMeterClass: unknown;

export function isNoopMeter(api: Api, meter: Meter): boolean {
  noopMeterClass ??= (api.createNoopMeter() as object).constructor;
  return (meter as object).constructor === noopMeterClass;
}

/** Whether a tracer provider is registered (the global one is a proxy delegating to a no-op until then). */
export function tracingRegistered(api: Api): boolean {
  const proxy = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : proxy;
  const fresh = new api.ProxyTracerProvider().getDelegate();
  return (delegate as object).constructor !== (fresh as object).constructor;
}
