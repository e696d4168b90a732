/**
 * What one failover run needs: the service, the effective mode, the host that failed,
 * the deadline, the cancellation signal, and the connections opened on the way.
 */
import type { FailoverMode } from '../../core/wrapper-options.js';
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo } from '../../drivers/host-info.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import type { Deadline } from '../../core/time.js';

export interface FailoverContext {
  readonly service: PluginService;
  readonly mode: FailoverMode;
  /** The topology entry of the instance whose connection failed (undefined when unknown). */
  readonly failedHost: HostInfo | undefined;
  readonly deadline: Deadline;
  /** Fires when the whole failover must stop (timeout, or the logical connection ended). */
  readonly signal: AbortSignal;
  /** Order of readers (`failoverReaderHostSelectorStrategy`); random when undefined. */
  readonly readerSelector: HostSelector | undefined;
  /**
   * Present only when the failover is observed (aurora-ha:failover, a logger, NODE_DEBUG): the
   * search says when it moves from finding a host to connecting to the chosen one, and back.
   */
  readonly phase?: (name: 'search' | 'reconnect') => void;
}

/** A verified physical connection the logical connection can switch to. */
export interface FailoverResult {
  readonly conn: PhysicalConnection;
  /** The topology entry, with the role the instance reported for itself. */
  readonly host: HostInfo;
}
