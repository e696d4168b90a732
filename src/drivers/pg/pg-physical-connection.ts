/**
 * One open `pg.Client` to one instance: tracks the transaction status from the protocol
 * (ReadyForQuery 'I' | 'T' | 'E'), keeps an `error` listener attached for the client's whole
 * life (a socket dropped while idle must never crash the process), and closes or aborts it.
 */
import type { Client } from 'pg';
import type { PhysicalConnection } from '../driver.js';
import type { HostInfo } from '../../hosts/host-info.js';
import { hostKey } from '../../hosts/host-info.js';
import { markConnectionLost, notifyLoss, settleWithin, timeoutError } from '../connection-lost.js';

/** How long `close()` waits for pg's Terminate handshake before destroying the socket. */
export const CLOSE_GRACE_MS = 1000;

type TxStatus = 'I' | 'T' | 'E';

export class PgPhysicalConnection implements PhysicalConnection<Client> {
  readonly host: HostInfo;
  readonly native: Client;
  /** The last asynchronous error pg reported (socket lost), if any. */
  lastError: Error | undefined;
  #closed = false;
  /** Set by our own abort()/close(): errors that follow are expected, not forwarded. */
  #closing = false;
  #txStatus: TxStatus = 'I';
  readonly #listeners: ((err: Error) => void)[] = [];

  constructor(host: HostInfo, native: Client) {
    this.host = host;
    this.native = native;
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
    native.connection.on('readyForQuery', (msg: { status?: unknown }) => {
      const s = msg.status;
      if (s === 'I' || s === 'T' || s === 'E') this.#txStatus = s;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Raw ReadyForQuery status: 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  get transactionStatus(): TxStatus {
    return this.#txStatus;
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
    const run = this.native
      .query<unknown[]>({ text: sql, rowMode: 'array' })
      .then((r) => ({ columns: r.fields.map((f) => f.name), rows: r.rows }));
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
