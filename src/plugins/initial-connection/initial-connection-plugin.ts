/**
 * The initial connection strategy plugin (code `initialConnection`, ARCHITECTURE.md › Initial connection strategy): decides where a
 * new logical connection's first physical connection goes. Through the writer cluster endpoint:
 * the verified writer (writer-connection.ts). Through the reader cluster endpoint: the reader
 * chosen by `readerInitialConnectionHostSelectorStrategy` (reader-connection.ts). Anything else
 * (instance endpoints, custom endpoints, proxies, IP addresses, custom domains): where asked.
 * Both retry every `openConnectionRetryIntervalMs` until `openConnectionRetryTimeoutMs`.
 */
import type { ConnectNext, Plugin, PipelineMethod, PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import { classifyHost } from '../../topology/rds-url.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { readerSelection, type ReaderSelection } from '../failover-core/reader-selection.js';
import { openContext } from './open-context.js';
import { openReader } from './reader-connection.js';
import { openWriter } from './writer-connection.js';

const SUBSCRIBES: readonly PipelineMethod[] = ['connect'];

export class InitialConnectionPlugin implements Plugin {
  readonly code = 'initialConnection';
  readonly subscribes = SUBSCRIBES;
  private readonly selection: ReaderSelection;
  private readonly selector: HostSelector;

  constructor(private readonly service: PluginService) {
    this.selection = readerSelection(service);
    this.selector = this.selection.selector(
      service.config.options.readerInitialConnectionHostSelectorStrategy,
      'readerHostSelectorStrategy',
    );
  }

  async connect(host: HostInfo, isInitial: boolean, next: ConnectNext): Promise<PhysicalConnection> {
    if (!isInitial) return next(host, isInitial);
    const type = classifyHost(host.host);
    if (type !== 'writer-cluster' && type !== 'reader-cluster') return next(host, isInitial);
    const { ctx, done } = openContext(this.service, host);
    try {
      return type === 'writer-cluster'
        ? await openWriter(ctx)
        : await openReader(ctx, this.selector, this.selection);
    } finally {
      done();
    }
  }

  notifyConnectionChanged(host: HostInfo): void {
    this.selection.connectionChanged(host);
  }

  /** Not counted on its host any more from the moment the user ends it (leastConnections). */
  ending(): void {
    this.selection.release();
  }

  async release(): Promise<void> {
    this.selection.release();
  }
}
