/**
 * One open `pg.Client` to one instance: tracks the transaction status from the protocol
 * (ReadyForQuery 'I' | 'T' | 'E'), keeps an `error` listener attached for the client's whole
 * life (a socket dropped while idle must never crash the process), and closes or aborts it.
 */
import type { Client } from 'pg';
import type { PhysicalConnection, SessionState } from '../driver.js';
import type { HostInfo } from '../host-info.js';
import { hostKey } from '../host-info.js';
import { activeQueryOf, runBeforePgHandler } from './internals.js';
import { markConnectionLost, notifyLoss, settleWithin, timeoutError } from '../connection-lost.js';
import { runInternal } from '../../observe/internal-work.js';
import { noteStatementSpans } from '../../observe/statement-spans.js';

/**
 * Settings PostgreSQL reports (GUC_REPORT) that a session may change and a new session can
 * take back with set_config(). Not reported, hence not here: search_path (before PG 18) and
 * the isolation level; not restorable: server_version, in_hot_standby, is_superuser,
 * session_authorization, client_encoding (pg's own), integer_datetimes, server_encoding.
 */
export const RESTORABLE_PARAMETERS: ReadonlySet<string> = new Set([
  'application_name',
  'DateStyle',
  'IntervalStyle',
  'TimeZone',
  'default_transaction_read_only',
  'standard_conforming_strings',
]);

/** Bound on the pg_listening_channels() read that follows a LISTEN / UNLISTEN. */
const CHANNELS_QUERY_MS = 5000;

/** How long `close()` waits for pg's Terminate handshake before destroying the socket. */
export const CLOSE_GRACE_MS = 1000;

type TxStatus = 'I' | 'T' | 'E';

export class PgPhysicalConnection implements PhysicalConnection<Client> {
  readonly host: HostInfo;
  readonly native: Client;
  /** The last asynchronous error pg reported (socket lost), if any. */
  lastError: Error | undefined;
  watchSession = false;
  sessionTouched = false;
  #closed = false;
  /** Set by our own abort()/close(): errors that follow are expected, not forwarded. */
  #closing = false;
  #txStatus: TxStatus = 'I';
  /** A LISTEN / UNLISTEN completed since the channels were last read. */
  #listenChanged = false;
  #channels: readonly string[] = [];
  /** True after the first ReadyForQuery (startup done). */
  #started = false;
  /** Reported parameters changed since startup (created on the first change). */
  #changed: Record<string, string> | undefined;
  readonly #listeners: ((err: Error) => void)[] = [];

  constructor(host: HostInfo, native: Client) {
    this.host = host;
    this.native = native;
    // Only with AuroraHaSpanProcessor in the SDK: the failover span's link to the failed statement.
    noteStatementSpans(this, native, ['query']);
    native.on('error', (err: Error) => this.#onDriverError(err));
    // Registered before pg's own `end` handler (added by connect()), so `closed` is already
    // true when pg turns the socket's end into "Connection terminated" errors.
    native.connection.on('end', () => {
      this.#closed = true;
    });
    native.on('end', () => {
      this.#closed = true;
    });
    // pg's Connection emits `error` only for its transport: socket errors, the stream pg
    // destroys when its own connectionTimeoutMillis expires ("timeout expired", no code) and
    // a failed SSL negotiation. Registered before the Client's handler, so the mark is set
    // before pg hands the same error object to a connect callback or a query.
    native.connection.on('error', (err: unknown) => {
      markConnectionLost(err);
      this.#closed = true;
    });
    // Both per-query messages are seen first inside pg's own handler (runBeforePgHandler): a
    // second listener would make pg's Connection copy its listener array on each emit.
    const onReadyForQuery = (msg: { status?: unknown }): void => {
      const s = msg.status;
      if (s === 'I' || s === 'T' || s === 'E') this.#txStatus = s;
      this.#started = true;
      if (this.#listenChanged && s === 'I') this.#learnChannels();
    };
    if (!runBeforePgHandler(native, '_handleReadyForQuery', onReadyForQuery)) {
      native.connection.on('readyForQuery', onReadyForQuery);
    }
    // LISTEN / UNLISTEN completed (the CommandComplete tag, not the SQL text): the set of
    // channels is read back from the server once the session is idle (they take effect at commit).
    const onCommandComplete = (msg: { text?: unknown }): void => {
      if (msg.text === 'LISTEN' || msg.text === 'UNLISTEN') this.#listenChanged = true;
    };
    if (!runBeforePgHandler(native, '_handleCommandComplete', onCommandComplete)) {
      native.connection.on('commandComplete', onCommandComplete);
    }
    // ParameterStatus after startup = the session changed a reported setting (SET, set_config,
    // SET SESSION CHARACTERISTICS); the burst before the first ReadyForQuery is the defaults.
    native.connection.on('parameterStatus', (msg: { parameterName?: unknown; parameterValue?: unknown }) => {
      const name = msg.parameterName;
      const value = msg.parameterValue;
      if (!this.#started || typeof name !== 'string' || typeof value !== 'string') return;
      if (!RESTORABLE_PARAMETERS.has(name)) return;
      (this.#changed ??= {})[name] = value;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Raw ReadyForQuery status: 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  get transactionStatus(): TxStatus {
    return this.#txStatus;
  }

  /** Channels this session listens on, as the server last reported them (no I/O). */
  listeningChannels(): readonly string[] {
    return this.#channels;
  }

  #learnChannels(): void {
    this.#listenChanged = false;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), CHANNELS_QUERY_MS);
      timer.unref();
    });
    const read = this.native
      .query<{ c: string }>('SELECT pg_catalog.pg_listening_channels() AS c')
      .then((r) => r.rows.map((row) => row.c));
    Promise.race([read, bounded]).then(
      (channels) => {
        clearTimeout(timer);
        if (channels !== undefined) this.#channels = channels;
        else this.#listenChanged = true; // ask again at the next idle moment
      },
      () => {
        clearTimeout(timer);
        this.#listenChanged = !this.#closed;
      },
    );
  }

  /** Reported session parameters changed since connect (no I/O). */
  reportedSessionState(): SessionState {
    return this.#changed === undefined ? {} : { parameters: { ...this.#changed } };
  }

  inTransaction(): boolean {
    return this.#txStatus !== 'I';
  }

  acceptsQueries(): boolean {
    return !this.#closed && this.#txStatus !== 'E';
  }

  async queryRows(sql: string, timeoutMs?: number): Promise<unknown[][]> {
    return (await this.queryWithColumns(sql, timeoutMs)).rows;
  }

  async queryWithColumns(sql: string, timeoutMs?: number): Promise<{ columns: string[]; rows: unknown[][] }> {
    // Ours, not the user's: out of their telemetry (observe/internal-work.ts).
    const run = runInternal(() => this.native.query<unknown[]>({ text: sql, rowMode: 'array' })).then(
      (r) => ({
        columns: r.fields.map((f) => f.name),
        rows: r.rows,
      }),
    );
    if (timeoutMs === undefined || timeoutMs <= 0) return run;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The instance stopped answering: the connection is unusable, drop it.
        reject(timeoutError(`Query to ${hostKey(this.host)} timed out after ${timeoutMs} ms`));
        this.abort();
      }, timeoutMs);
      timer.unref();
    });
    run.catch(() => undefined); // the race below reports the error; avoid an unhandled rejection after a timeout
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  activeCall(): object | undefined {
    return activeQueryOf(this.native);
  }

  remoteAddress(): { address: string; port: number } | undefined {
    const { remoteAddress, remotePort } = this.native.connection.stream as unknown as {
      remoteAddress?: string;
      remotePort?: number;
    };
    return remoteAddress !== undefined && remotePort !== undefined
      ? { address: remoteAddress, port: remotePort }
      : undefined;
  }

  abort(): void {
    this.#closing = true;
    this.#closed = true;
    try {
      this.native.connection.stream.destroy();
    } catch {
      // never throws
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    try {
      await settleWithin(this.native.end(), CLOSE_GRACE_MS);
    } finally {
      this.abort();
    }
  }

  onError(listener: (err: Error) => void): void {
    this.#listeners.push(listener);
  }

  #onDriverError(err: Error): void {
    // pg emits `error` on the client only when the socket is dead (or a fatal protocol error).
    markConnectionLost(err);
    const first = this.lastError === undefined;
    this.#closed = true;
    this.lastError = err;
    // Listeners hear about the loss once (pg may follow a FATAL message with "Connection terminated").
    if (this.#closing || !first) return;
    notifyLoss(this.#listeners, err);
  }
}
