/**
 * mysql2's `mysql2:pool:connect` tracing channel (node:diagnostics_channel), published by
 * aurora-ha's pool as mysql2's own pool publishes it: `getConnection()` (and so `pool.query()`)
 * traced with mysql2's context `{ database, serverAddress, serverPort }`, only when someone
 * subscribed. The channel is global by name, so APM subscribers of mysql2 see our pools too.
 */
import dc from 'node:diagnostics_channel';

type AnyCallback = (...args: never[]) => void;

interface TracingChannelLike {
  hasSubscribers?: boolean;
  start?: { hasSubscribers: boolean };
  traceCallback(
    fn: (cb: AnyCallback) => void,
    position: number,
    context: object,
    thisArg: unknown,
    cb: AnyCallback,
  ): void;
}

const channel: TracingChannelLike | undefined =
  typeof dc.tracingChannel === 'function' ? dc.tracingChannel('mysql2:pool:connect') : undefined;

/** mysql2's server context of a connection config. */
function serverContext(config: Record<string, unknown>): Record<string, unknown> {
  const database = typeof config.database === 'string' ? config.database : '';
  if (typeof config.socketPath === 'string' && config.socketPath !== '') {
    return { database, serverAddress: config.socketPath, serverPort: undefined };
  }
  return {
    database,
    serverAddress: typeof config.host === 'string' && config.host !== '' ? config.host : 'localhost',
    serverPort: typeof config.port === 'number' && config.port !== 0 ? config.port : 3306,
  };
}

/** Run `acquire(cb)` traced on `mysql2:pool:connect` when the channel has subscribers. */
export function tracePoolConnect<C extends AnyCallback>(
  acquire: (cb: C) => void,
  config: Record<string, unknown>,
  cb: C,
): void {
  const traced = channel !== undefined && (channel.hasSubscribers ?? channel.start?.hasSubscribers ?? false);
  if (!traced) {
    acquire(cb);
    return;
  }
  channel.traceCallback(acquire as (cb: AnyCallback) => void, 0, serverContext(config), undefined, cb);
}
