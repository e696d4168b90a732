/**
 * The demo's record of aurora-ha's own view of the cluster (`getClusterStatus`, sampled once a
 * second and on every `aurora-ha:topology` / `aurora-ha:monitor` message): a row each time the
 * writer, the monitor mode or the open connections per instance change, shown in the chart
 * beside the emulator's timeline.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getClusterStatus, MONITOR_CHANNEL, TOPOLOGY_CHANNEL, type ClusterStatus } from '../src/index.js';

export interface StatusChange {
  readonly at: number;
  readonly text: string;
}

function describe(s: ClusterStatus): string {
  if (!s.known) return 'not known to this process';
  const where = [s.writer, ...s.readers]
    .filter((i) => i !== undefined)
    .map(
      (i) =>
        `${i.instanceId ?? i.host}${i.role === 'writer' ? ' (writer)' : ''}${i.availability === 'unavailable' ? ' unavailable' : ''}: ${i.openConnections}`,
    )
    .join(', ');
  const mode = s.monitor === undefined ? '' : `, failover2 monitor ${s.monitor.mode}`;
  return `writer ${s.writer?.instanceId ?? s.writer?.host ?? '(none)'}${mode}; connections per instance: ${where}`;
}

export class ClusterStatusLog {
  readonly changes: StatusChange[] = [];
  private last = '';
  private readonly onMessage = (): void => this.sample();

  constructor(
    private readonly target: { host: string; port: number },
    private readonly clock: () => number,
  ) {
    subscribe(TOPOLOGY_CHANNEL, this.onMessage);
    subscribe(MONITOR_CHANNEL, this.onMessage);
  }

  sample(): void {
    const text = describe(getClusterStatus(this.target));
    if (text === this.last) return;
    this.last = text;
    this.changes.push({ at: this.clock(), text });
  }

  stop(): void {
    unsubscribe(TOPOLOGY_CHANNEL, this.onMessage);
    unsubscribe(MONITOR_CHANNEL, this.onMessage);
  }
}
