/**
 * One open mysql2 callback `Connection` to one instance: transaction state from the server
 * status flags, an `error` listener attached for its whole life, close (COM_QUIT) / abort.
 */
import type { Connection } from 'mysql2';
import type { PhysicalConnection, SessionState } from '../driver.js';
import type { HostInfo } from '../host-info.js';
import { hostKey } from '../host-info.js';
import { runInternal } from '../../observe/internal-work.js';
import { markConnectionLost, notifyLoss, timeoutError } from '../connection-lost.js';
import { activeCommandOf, handshakeServerVersionOf, queueQueryCommand } from './internals.js';
import {
  SERVER_STATUS_AUTOCOMMIT,
  SERVER_STATUS_IN_TRANS,
  watchServerStatus,
} from './mysql2-server-status.js';
import type { SessionChanges } from './mysql2-server-status.js';
import { noteStatementSpans } from '../../observe/statement-spans.js';

/**
 * Tracked variables we do not restore: the character set is the driver's business (mysql2
 * negotiates it at connect), autocommit comes from the status flags.
 */
const TRACKED_NOT_RESTORED: ReadonlySet<string> = new Set([
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'autocommit',
]);

export const CLOSE_GRACE_MS = 1000;

/** mysql2's socket (its private members: internals.ts). */
interface Mysql2Internals {
  stream?: {
    destroy(): void;
    on(event: 'close', listener: () => void): void;
    remoteAddress?: string;
    remotePort?: number;
  };
}

type QueryCallback = (err: unknown, rows?: unknown, fields?: unknown) => void;

/**
 * Send one of aurora-ha's own statements (topology, role check, probe, dialect, rollback, session
 * restore). It is built and queued the way `query()` queues it when nobody traces, but without
 * going through `Connection.prototype.query`: recent mysql2 (3.24 here) publishes every `query()` on the
 * `mysql2:query` TracingChannel (no way to opt a statement out), `@opentelemetry/instrumentation-
 * mysql2` patches that method, and a user's `queryFormat` would rewrite our SQL. Our statements
 * carry no values, so skipping the formatting changes nothing. Run in `runInternal` too, for
 * any other instrumentation of the driver. Falls back to `query()` where the internals differ.
 */
export function submitInternal(
  native: Connection,
  options: { sql: string; rowsAsArray?: boolean },
  cb: QueryCallback,
): void {
  runInternal(() => {
    if (!queueQueryCommand(native, options, cb)) native.query(options, cb);
  });
}

export class Mysql2PhysicalConnection implements PhysicalConnection<Connection> {
  readonly host: HostInfo;
  readonly native: Connection;
  lastError: Error | undefined;
  watchSession = false;
  sessionTouched = false;
  #closed = false;
  #closing = false;
  #statusFlags = 0;
  #sawStatus = false;
  #schema: string | undefined;
  /** Tracked system variables the server reported changed (created on the first report). */
  #variables: Record<string, string> | undefined;
  readonly #listeners: ((err: Error) => void)[] = [];

  constructor(host: HostInfo, native: Connection) {
    this.host = host;
    this.native = native;
    // Only with AuroraHaSpanProcessor in the SDK: the failover span's link to the failed statement.
    noteStatementSpans(this, native, ['query', 'execute']);
    const internals = native as unknown as Mysql2Internals;
    native.on('error', (err: Error) => this.#onDriverError(err));
    native.on('end', () => {
      this.#closed = true;
    });
    internals.stream?.on('close', () => {
      this.#closed = true;
    });
    watchServerStatus(internals, (flags, changes) => {
      this.#statusFlags = flags;
      this.#sawStatus = true;
      if (changes !== undefined) this.#noteChanges(changes);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Server status flags of the last OK / EOF packet. */
  get serverStatus(): number {
    return this.#statusFlags;
  }

  /** The server's version string from the handshake (e.g. `10.11.6-MariaDB-...`). */
  get serverVersion(): string {
    const version = handshakeServerVersionOf(this.native);
    return typeof version === 'string' ? version : '';
  }

  /**
   * Session state as the server reported it (no I/O): autocommit from the status flags of the
   * last OK / EOF packet, the schema and tracked system variables from session-state tracking.
   */
  reportedSessionState(): SessionState {
    const state: SessionState = {};
    if (this.#sawStatus) {
      state.autocommit = (this.#statusFlags & SERVER_STATUS_AUTOCOMMIT) !== 0;
    }
    if (this.#schema !== undefined) state.schema = this.#schema;
    if (this.#variables !== undefined) state.parameters = { ...this.#variables };
    return state;
  }

  #noteChanges(changes: SessionChanges): void {
    if (changes.schema !== undefined) this.#schema = changes.schema;
    for (const [name, value] of Object.entries(changes.variables)) {
      if (TRACKED_NOT_RESTORED.has(name.toLowerCase())) continue;
      (this.#variables ??= {})[name] = value;
    }
  }

  inTransaction(): boolean {
    return (this.#statusFlags & SERVER_STATUS_IN_TRANS) !== 0;
  }

  /** A MySQL error never poisons the session: any open connection can answer. */
  acceptsQueries(): boolean {
    return !this.#closed;
  }

  async queryRows(sql: string, timeoutMs?: number): Promise<unknown[][]> {
    return (await this.queryWithColumns(sql, timeoutMs)).rows;
  }

  queryWithColumns(sql: string, timeoutMs?: number): Promise<{ columns: string[]; rows: unknown[][] }> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(() => {
          reject(timeoutError(`Query to ${hostKey(this.host)} timed out after ${timeoutMs} ms`));
          this.abort();
        }, timeoutMs);
        timer.unref();
      }
      try {
        submitInternal(
          this.native,
          { sql, rowsAsArray: true },
          (err: unknown, rows: unknown, fields: unknown) => {
            clearTimeout(timer);
            if (err !== null && err !== undefined) {
              reject(err);
              return;
            }
            resolve({
              columns: Array.isArray(fields) ? fields.map((f: { name?: unknown }) => String(f.name)) : [],
              rows: Array.isArray(rows) ? rows.filter((r): r is unknown[] => Array.isArray(r)) : [],
            });
          },
        );
      } catch (err) {
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  activeCall(): object | undefined {
    return activeCommandOf(this.native);
  }

  remoteAddress(): { address: string; port: number } | undefined {
    const stream = (this.native as unknown as Mysql2Internals).stream;
    const address = stream?.remoteAddress;
    const port = stream?.remotePort;
    return address !== undefined && port !== undefined ? { address, port } : undefined;
  }

  abort(): void {
    this.#closing = true;
    this.#closed = true;
    try {
      // Destroy the socket itself (not connection.destroy(), which only half-closes):
      // mysql2 then fails every pending command with PROTOCOL_CONNECTION_LOST.
      (this.native as unknown as Mysql2Internals).stream?.destroy();
    } catch {
      // never throws
    }
  }

  /**
   * COM_QUIT, then the socket destroyed. As mysql2's `end()`, the commands queued before it run
   * to their end first (a pool ended while its statements run lets them finish); the grace
   * for the QUIT exchange itself starts when mysql2 sends it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        resolve();
      };
      const arm = (): void => {
        if (done || timer !== undefined) return;
        timer = setTimeout(finish, CLOSE_GRACE_MS);
        timer.unref();
      };
      let quit: unknown;
      try {
        quit = this.native.end(() => finish());
      } catch {
        finish();
        return;
      }
      const cmd = quit as { start?: (...args: unknown[]) => unknown } | undefined;
      if (cmd === undefined || typeof cmd.start !== 'function' || activeCommandOf(this.native) === quit) {
        arm();
        return;
      }
      // Queued behind the user's commands: the grace starts with the QUIT itself. A socket that
      // dies meanwhile fails the queue (and the QUIT's callback) at once.
      const start = cmd.start;
      cmd.start = function (this: unknown, ...args: unknown[]): unknown {
        arm();
        return start.apply(this, args);
      };
    });
    this.abort();
  }

  onError(listener: (err: Error) => void): void {
    this.#listeners.push(listener);
  }

  #onDriverError(err: Error): void {
    // mysql2 emits `error` on the connection for fatal errors (socket lost, protocol broken)
    // that no pending command received.
    markConnectionLost(err);
    const first = this.lastError === undefined;
    this.#closed = true;
    this.lastError = err;
    if (this.#closing || !first) return;
    notifyLoss(this.#listeners, err);
  }
}
