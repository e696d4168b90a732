/**
 * The connect step both driver adapters share: run the driver's own handshake, bounded by
 * `timeoutMs` and cancellable by `signal`; on any failure the half-open socket is destroyed,
 * and a code-less error raised after the socket ended is marked as a lost connection. Every
 * connect of both adapters is traced here on `aurora-ha:connect` with its purpose (free when
 * nobody listens: observe/channels.ts). Monitor and probe connections connect through
 * `runInternal`, out of the user's telemetry.
 */
import type { ConnectOptions, PhysicalConnection } from './driver.js';
import { hostKey } from './host-info.js';
import { abortError, errorCode, markConnectionLost, timeoutError } from './connection-lost.js';
import { traceConnect } from '../observe/channels.js';
import { runInternal } from '../observe/internal-work.js';

export function connectBounded<C extends PhysicalConnection>(
  conn: C,
  handshake: () => Promise<unknown>,
  options: ConnectOptions = {},
): Promise<C> {
  return traceConnect(options.purpose ?? 'user', conn.host, options.connectionId, () =>
    connectUntraced(conn, handshake, options),
  );
}

async function connectUntraced<C extends PhysicalConnection>(
  conn: C,
  handshake: () => Promise<unknown>,
  options: ConnectOptions = {},
): Promise<C> {
  const { timeoutMs, signal } = options;
  const where = hostKey(conn.host);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => {
        conn.abort();
        reject(timeoutError(`Connect to ${where} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    }
    if (signal !== undefined) {
      onAbort = () => {
        conn.abort();
        reject(abortError(`Connect to ${where} aborted`, signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  // A connection that exists only for aurora-ha's own queries connects out of the user's
  // telemetry (observe/internal-work.ts); the user's, the pool's and failover's do not.
  const connecting =
    options.purpose === 'monitor' || options.purpose === 'probe' ? runInternal(handshake) : handshake();
  connecting.catch(() => undefined); // reported through the race; may settle after a timeout
  try {
    await Promise.race([connecting, cancelled]);
    return conn;
  } catch (err) {
    // A code-less error after the socket ended during the handshake (pg's "Connection
    // terminated", mysql2's closed-state errors) is a transport failure.
    if (conn.closed && errorCode(err) === undefined) markConnectionLost(err);
    conn.abort();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
