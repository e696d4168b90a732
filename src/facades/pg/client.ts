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

export type AuroraClientConfig = ClientConfig & WrapperOptions;

type QueryCallback<R extends QueryResultRow> = (err: Error | null, result?: QueryResult<R>) => void;

/** What pg accepts as a submittable (pg.Query, pg-cursor, pg-query-stream). */
export interface Submittable {
  submit(connection: unknown): void;
}

function isSubmittable(x: unknown): x is Submittable {
  return typeof x === 'object' && x !== null && typeof (x as { submit?: unknown }).submit === 'function';
}

/** The internal state of a Client, kept out of its public surface. */
const STATE = Symbol('aurora-ha.pg.client');

interface ClientState {
  readonly lc: LogicalConnection<pg.Client>;
  /** True when no plugin subscribes to `query`: calls go straight to the native client. */
  readonly bare: boolean;
  endEmitted: boolean;
  connectCalled: boolean;
}

export class Client extends EventEmitter {
  private readonly [STATE]: ClientState;

  /**
   * @param config pg's ClientConfig (or a connection string) plus aurora-ha's options.
   * @param factories for tests and embedding: the plugin factories to use instead of `plugins`.
   */
  constructor(config?: string | AuroraClientConfig, factories?: readonly PluginFactory[]) {
    super();
    const resolved = resolveConfig('postgres', (config ?? {}) as Record<string, unknown> | string);
    const lc = new LogicalConnection<pg.Client>(resolved, pgAdapter, factories);
    this[STATE] = {
      lc,
      bare: lc.pipelineFor('query') === undefined,
      endEmitted: false,
      connectCalled: false,
    };
    lc.onConnectionChange((conn, previous) => this.rewire(conn, previous));
  }

  /** The pg.Client currently in use (changes after a failover); undefined when not connected. */
  get nativeClient(): pg.Client | undefined {
    return this[STATE].lc.current?.native;
  }

  get processID(): number | null | undefined {
    return (this.nativeClient as { processID?: number | null } | undefined)?.processID;
  }

  get host(): string | undefined {
    return this[STATE].lc.service.currentHost?.host ?? this[STATE].lc.service.initialHost.host;
  }

  get port(): number | undefined {
    return this[STATE].lc.service.currentHost?.port ?? this[STATE].lc.service.initialHost.port;
  }

  get database(): string | undefined {
    return this.nativeClient?.database;
  }

  get user(): string | undefined {
    return this.nativeClient?.user;
  }

  /** pg compatibility (some ORMs read it to validate a connection). */
  get _ending(): boolean {
    return this[STATE].lc.closing;
  }

  connect(): Promise<void>;
  connect(callback: (err: Error | null) => void): void;
  connect(callback?: (err: Error | null) => void): Promise<void> | void {
    const s = this[STATE];
    let p: Promise<void>;
    if (s.connectCalled) {
      p = Promise.reject(new Error('Client has already been connected. You cannot reuse a client.'));
    } else {
      s.connectCalled = true;
      p = s.lc.open();
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
    const s = this[STATE];
    const conn = s.lc.current;
    let p: Promise<QueryResult>;
    if (s.bare && conn !== undefined && !s.lc.closing) {
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
    const lc = this[STATE].lc;
    const run = (): Promise<QueryResult> => lc.native().query(config as QueryConfig, values as unknown[]);
    if (lc.current === undefined && !lc.closing) return lc.ready().then(() => lc.execute('query', run));
    return lc.execute('query', run);
  }

  private submit<T extends Submittable>(submittable: T): T {
    const lc = this[STATE].lc;
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
    const p = this[STATE].lc.end().then(() => this.emitEnd());
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
    const s = this[STATE];
    if (s.endEmitted) return;
    s.endEmitted = true;
    this.emit('end');
  }

  private readonly forwardNotice = (msg: unknown): void => {
    this.emit('notice', msg);
  };

  private readonly forwardNotification = (msg: unknown): void => {
    this.emit('notification', msg);
  };

  /** Asynchronous errors (socket lost while idle) reach the user only when they listen for them. */
  private readonly forwardError = (err: Error): void => {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  };

  /** The physical connection ended without end(): with no plugin to replace it, the Client is over. */
  private readonly forwardEnd = (): void => {
    const s = this[STATE];
    if (s.lc.closing || !s.bare) return;
    void s.lc.end().then(() => this.emitEnd());
  };

  private rewire(conn: PhysicalConnection, previous: PhysicalConnection | undefined): void {
    const prev = previous?.native as pg.Client | undefined;
    if (prev !== undefined) {
      prev.off('notice', this.forwardNotice);
      prev.off('notification', this.forwardNotification);
      prev.off('error', this.forwardError);
      prev.off('end', this.forwardEnd);
    }
    const next = conn.native as pg.Client;
    next.on('notice', this.forwardNotice);
    next.on('notification', this.forwardNotification);
    next.on('error', this.forwardError);
    next.on('end', this.forwardEnd);
  }
}
