/**
 * `Client` of `aurora-ha/pg`: shaped like pg's Client (promise and callback forms, events,
 * escaping helpers) over a logical connection. Every query goes through the `query`
 * pipeline and is run by the native pg.Client of the current physical connection, so
 * results and errors are pg's own. With no plugin subscribed to `query` the native client is
 * called directly. Submittables (pg-cursor, pg-query-stream, pg.Query) go straight to the
 * native client.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type {
  ClientConfig,
  QueryArrayConfig,
  QueryArrayResult,
  QueryConfig,
  QueryResult,
  QueryResultRow,
} from 'pg';
import { resolveConfig } from '../../config/parse-config.js';
import type { WrapperOptions } from '../../config/wrapper-options.js';
import { LogicalConnection } from '../../core/logical-connection.js';
import type { PluginFactory } from '../../core/plugin.js';
import { pgAdapter } from '../../drivers/pg/pg-adapter.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { PgPhysicalConnection } from '../../drivers/pg/pg-physical-connection.js';
import { failedEvent, movedEvent } from '../../core/failover-event.js';

export type AuroraClientConfig = ClientConfig & WrapperOptions;

type QueryCallback<R extends QueryResultRow> = (err: Error | null, result?: QueryResult<R>) => void;

/** What pg accepts as a submittable (pg.Query, pg-cursor, pg-query-stream). */
export interface Submittable {
  submit(connection: unknown): void;
}

function isSubmittable(x: unknown): x is Submittable {
  return typeof x === 'object' && x !== null && typeof (x as { submit?: unknown }).submit === 'function';
}

/**
 * Which facade a native pg.Client forwards its events to. A WeakMap, not a property on the
 * native client: adding a property would reshape pg's objects (and cost memory per connection).
 */
const facadeOf = new WeakMap<pg.Client, Client>();

type NativeWithFacade = pg.Client;

// Event forwarders shared by every Client (no closure per connection): `this` is the native client.
function forwardNotice(this: NativeWithFacade, msg: unknown): void {
  facadeOf.get(this)?.emit('notice', msg);
}

function forwardNotification(this: NativeWithFacade, msg: unknown): void {
  facadeOf.get(this)?.emit('notification', msg);
}

/** Asynchronous errors (socket lost while idle) reach the user only when they listen for them. */
function forwardError(this: NativeWithFacade, err: Error): void {
  const facade = facadeOf.get(this);
  if (facade !== undefined && facade.listenerCount('error') > 0) facade.emit('error', err);
}

function forwardEnd(this: NativeWithFacade): void {
  facadeOf.get(this)?.physicalEnded();
}

/**
 * Re-issue LISTEN for each channel on a new session (notifications sent during the move are
 * lost: the `'failover'` event tells the application to resynchronise). Errors are ignored.
 */
function relisten(native: pg.Client, channels: readonly string[]): void {
  for (const channel of channels) {
    native.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
  }
}

/** Emit without letting a throwing listener break the failover that is reporting. */
function emitQuietly(emitter: EventEmitter, event: string, payload: unknown): void {
  try {
    emitter.emit(event, payload);
  } catch {
    // the listener's own failure
  }
}

export class Client extends EventEmitter {
  readonly #lc: LogicalConnection<pg.Client>;
  /** True when no plugin subscribes to `query`: calls go straight to the native client. */
  readonly #bare: boolean;
  #endEmitted = false;
  #connectCalled = false;

  /**
   * @param config pg's ClientConfig (or a connection string) plus aurora-ha's options.
   * @param factories for tests and embedding: the plugin factories to use instead of `plugins`.
   */
  constructor(config?: string | AuroraClientConfig, factories?: readonly PluginFactory[]) {
    super();
    const resolved = resolveConfig('postgres', (config ?? {}) as Record<string, unknown> | string);
    const lc = new LogicalConnection<pg.Client>(resolved, pgAdapter, factories);
    this.#lc = lc;
    this.#bare = lc.pipelineFor('query') === undefined;
    lc.observe(this);
  }

  /** The pg.Client currently in use (changes after a failover); undefined when not connected. */
  get nativeClient(): pg.Client | undefined {
    return this.#lc.current?.native;
  }

  get processID(): number | null | undefined {
    return (this.nativeClient as { processID?: number | null } | undefined)?.processID;
  }

  get host(): string | undefined {
    return this.#lc.service.currentHost?.host ?? this.#lc.service.initialHost.host;
  }

  get port(): number | undefined {
    return this.#lc.service.currentHost?.port ?? this.#lc.service.initialHost.port;
  }

  get database(): string | undefined {
    return this.nativeClient?.database;
  }

  get user(): string | undefined {
    return this.nativeClient?.user;
  }

  /** pg compatibility (some ORMs read it to validate a connection). */
  get _ending(): boolean {
    return this.#lc.closing;
  }

  connect(): Promise<void>;
  connect(callback: (err: Error | null) => void): void;
  connect(callback?: (err: Error | null) => void): Promise<void> | void {
    let p: Promise<void>;
    if (this.#connectCalled) {
      p = Promise.reject(new Error('Client has already been connected. You cannot reuse a client.'));
    } else {
      this.#connectCalled = true;
      p = this.#lc.open();
    }
    if (callback === undefined) return p;
    p.then(
      () => callback(null),
      (err: unknown) => callback(err as Error),
    );
  }

  query<T extends Submittable>(submittable: T): T;
  query<R extends unknown[] = unknown[]>(
    config: QueryArrayConfig,
    values?: unknown[],
  ): Promise<QueryArrayResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    callback: QueryCallback<R>,
  ): void;
  query<R extends QueryResultRow = QueryResultRow>(
    textOrConfig: string | QueryConfig,
    values: unknown[] | undefined,
    callback: QueryCallback<R>,
  ): void;
  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (isSubmittable(config)) return this.submit(config);
    let cb = callback;
    let vals = values;
    if (typeof values === 'function') {
      cb = values;
      vals = undefined;
    }
    const lc = this.#lc;
    const conn = lc.current;
    let p: Promise<QueryResult>;
    if (this.#bare && conn !== undefined && !lc.closing) {
      p = conn.native.query(config as QueryConfig, vals as unknown[]);
    } else {
      p = this.runQuery(config, vals);
    }
    if (typeof cb !== 'function') return p;
    const done = cb as QueryCallback<QueryResultRow>;
    p.then(
      (r) => done(null, r),
      (err: unknown) => done(err as Error),
    );
    return undefined;
  }

  private runQuery(config: unknown, values: unknown): Promise<QueryResult> {
    const lc = this.#lc;
    const run = (): Promise<QueryResult> => lc.native().query(config as QueryConfig, values as unknown[]);
    if (lc.current === undefined && !lc.closing) return lc.ready().then(() => lc.execute('query', run));
    return lc.execute('query', run);
  }

  private submit<T extends Submittable>(submittable: T): T {
    const lc = this.#lc;
    if (lc.current !== undefined && !lc.closing) {
      lc.native().query(submittable as never);
      return submittable;
    }
    lc.ready().then(
      () => lc.native().query(submittable as never),
      (err: unknown) => {
        const handle = (submittable as { handleError?: (e: unknown) => void }).handleError;
        if (typeof handle === 'function') handle.call(submittable, err);
      },
    );
    return submittable;
  }

  end(): Promise<void>;
  end(callback: (err?: Error) => void): void;
  end(callback?: (err?: Error) => void): Promise<void> | void {
    const p = this.#lc.end().then(() => this.emitEnd());
    if (callback === undefined) return p;
    p.then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  escapeIdentifier(str: string): string {
    return pg.escapeIdentifier(str);
  }

  escapeLiteral(str: string): string {
    return pg.escapeLiteral(str);
  }

  private emitEnd(): void {
    if (this.#endEmitted) return;
    this.#endEmitted = true;
    this.emit('end');
  }

  /** @internal The physical connection ended without end(): with no plugin to replace it, the Client is over. */
  physicalEnded(): void {
    const lc = this.#lc;
    if (lc.closing || !this.#bare) return;
    void lc.end().then(() => this.emitEnd());
  }

  /** @internal Move event forwarding to the new physical connection. */
  connectionChanged(conn: PhysicalConnection, previous: PhysicalConnection | undefined): void {
    const prev = previous?.native as NativeWithFacade | undefined;
    if (prev !== undefined) {
      facadeOf.delete(prev);
      prev.off('notice', forwardNotice);
      prev.off('notification', forwardNotification);
      prev.off('error', forwardError);
      prev.off('end', forwardEnd);
    }
    const next = conn.native as NativeWithFacade;
    facadeOf.set(next, this);
    next.on('notice', forwardNotice);
    next.on('notification', forwardNotification);
    next.on('error', forwardError);
    next.on('end', forwardEnd);
    if (previous !== undefined) {
      // Queued before any later call of the user: the new session listens on the same channels.
      if (previous instanceof PgPhysicalConnection) relisten(next, previous.listeningChannels());
      emitQuietly(this, 'failover', movedEvent(conn, previous));
    }
  }

  /** @internal A failover failed: the Client is unusable from now on. */
  failoverFailed(from: PhysicalConnection | undefined, error: Error): void {
    emitQuietly(this, 'failover', failedEvent(from, error));
  }
}
