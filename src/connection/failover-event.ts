/**
 * The documented `'failover'` event (ARCHITECTURE.md › The 'failover' event): every facade emits it whenever its logical
 * connection moves to another physical connection (idle or not), and when a failover failed.
 * Listeners use it to resynchronise what a move loses: notifications sent during the gap,
 * session state not restored, caches tied to one instance.
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import { hostKey } from '../drivers/host-info.js';

export interface FailoverEvent {
  /** `host:port` the connection was on (as it was opened: an instance or an endpoint). */
  readonly from: string | undefined;
  /** `host:port` it is on now; undefined when the failover failed. */
  readonly to: string | undefined;
  /** `success`: the connection moved and works; `failed`: it is unusable from now on. */
  readonly outcome: 'success' | 'failed';
  /** The FailoverFailedError, when `outcome` is `failed`. */
  readonly error?: Error;
}

export function movedEvent(conn: PhysicalConnection, previous: PhysicalConnection): FailoverEvent {
  return { from: hostKey(previous.host), to: hostKey(conn.host), outcome: 'success' };
}

export function failedEvent(from: PhysicalConnection | undefined, error: Error): FailoverEvent {
  return {
    from: from !== undefined ? hostKey(from.host) : undefined,
    to: undefined,
    outcome: 'failed',
    error,
  };
}
