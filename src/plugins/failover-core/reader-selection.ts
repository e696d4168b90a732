/**
 * What one logical connection needs to pick hosts with any strategy: selectors built by name
 * with the process-wide data behind them — the cluster's round-robin rotation, this process's
 * connection counts per host, the cluster's response-time monitor — and this connection's own
 * place in those counts. One per logical connection (found through its PluginService), shared
 * by every plugin of that connection (initialConnection, failover), so the connection is
 * counted once; `release()` (idempotent) is called by those plugins when the connection ends.
 */

import type { HostSelectorStrategy } from '../../core/wrapper-options.js';
import type { PluginService } from '../../connection/plugin.js';
import type { HostInfo } from '../../drivers/host-info.js';
import { ConnectionTally, processCounts, type ConnectionCounts } from '../../selectors/connection-counts.js';
import { createSelector } from '../../selectors/create-selector.js';
import { orderedHosts, type HostSelector } from '../../selectors/host-selector.js';
import { acquireResponseTimes, type ResponseTimes } from '../../selectors/response-times.js';
import { withinReplicaLag } from '../../selectors/replica-lag.js';
import { roundRobinStateOf } from '../../selectors/round-robin-states.js';

/** Default of `responseMeasurementIntervalMs`. */
export const DEFAULT_RESPONSE_MEASUREMENT_MS = 30_000;

export class ReaderSelection {
  private readonly tally = new ConnectionTally(() => this.counts());
  private responseTimes: ResponseTimes | undefined;
  private measuredCluster: string | undefined;
  /** Whether a selector of this connection uses `fastestResponse` (then measurement is wanted). */
  private wantsResponseTimes = false;
  private released = false;

  constructor(private readonly service: PluginService) {}

  /** The counts `leastConnections` reads and this connection is counted in: its pool's, else the process's. */
  private counts(): ConnectionCounts {
    return this.service.connectionCounts ?? processCounts;
  }

  /**
   * The selector for `strategy`, configured from this connection's options. Cluster-wide state
   * (rotation, response times) is looked up when it picks, since the cluster is only known
   * once the first connection has told us the dialect and topology.
   */
  selector(strategy: HostSelectorStrategy, option: string): HostSelector {
    if (strategy === 'fastestResponse') this.wantsResponseTimes = true;
    return {
      select: (hosts, role) => this.build(strategy, option).select(hosts, role),
      order: (hosts, role) => orderedHosts(this.build(strategy, option), hosts, role),
    };
  }

  /**
   * The hosts a NEW reader connection may go to (initial connection through the reader cluster
   * endpoint, reader failover): readers lagging more than `maxReplicaLagMs` are left out, so
   * when all of them lag the caller falls back as if the cluster had no reader. With
   * `keepWhenNoneLeft` (strict-reader failover, which never takes the writer of a cluster that
   * has readers) the lagging readers stay when no other available reader is left. The one place the
   * option is applied.
   */
  eligible(hosts: readonly HostInfo[], keepWhenNoneLeft = false): readonly HostInfo[] {
    return withinReplicaLag(hosts, this.service.config.options.maxReplicaLagMs, keepWhenNoneLeft);
  }

  /** Count this connection on `host` from now on (the host it is being sent to, or moved to). */
  countOn(host: HostInfo | undefined): void {
    if (!this.released) this.tally.moveTo(host);
  }

  /**
   * The logical connection is connected (again): count it on its host and, when a selector
   * wants them, start measuring response times of its cluster.
   */
  connectionChanged(host: HostInfo): void {
    this.countOn(host);
    this.startMeasuring();
  }

  /** Stop counting this connection and give back its share of the response-time monitor. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.tally.moveTo(undefined);
    this.responseTimes?.release();
    this.responseTimes = undefined;
  }

  /** The cluster id once the topology is known (a topology-aware dialect was detected). */
  private clusterId(): string | undefined {
    if (this.service.dialect?.topologyAware !== true) return undefined;
    return this.service.hostListProvider.clusterId;
  }

  private startMeasuring(): void {
    if (!this.wantsResponseTimes || this.released) return;
    const clusterId = this.clusterId();
    if (clusterId === undefined || clusterId === this.measuredCluster) return;
    this.responseTimes?.release();
    const options = this.service.config.options;
    this.responseTimes = acquireResponseTimes(
      clusterId,
      options.responseMeasurementIntervalMs ?? DEFAULT_RESPONSE_MEASUREMENT_MS,
      { driver: this.service.driver, driverConfig: this.service.config.driverConfig },
    );
    this.measuredCluster = clusterId;
  }

  private build(strategy: HostSelectorStrategy, option: string): HostSelector {
    const options = this.service.config.options;
    const clusterId = this.clusterId();
    if (strategy === 'fastestResponse') this.startMeasuring();
    const times = this.responseTimes;
    return createSelector(strategy, {
      option,
      ...(clusterId !== undefined ? { roundRobinState: roundRobinStateOf(clusterId) } : {}),
      roundRobinHostWeights: options.roundRobinHostWeightPairs,
      roundRobinDefaultWeight: options.roundRobinDefaultWeight,
      weightedRandomHostWeights: options.weightedRandomHostWeightPairs ?? {},
      connectionCount: (h) => this.counts().openTo(h),
      responseTime: (h) => times?.time(h),
    });
  }
}

const selections = new WeakMap<PluginService, ReaderSelection>();

/** The reader selection of the logical connection behind `service` (created on first use). */
export function readerSelection(service: PluginService): ReaderSelection {
  let selection = selections.get(service);
  if (selection === undefined) {
    selection = new ReaderSelection(service);
    selections.set(service, selection);
  }
  return selection;
}
