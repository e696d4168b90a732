/**
 * Prepared statement handles that survive a failover. mysql2's `prepare()` hands out a
 * PreparedStatementInfo bound to the mysql2 connection that prepared it; after a failover that
 * connection is closed and the handle would fail with mysql2's closed-state error. The facades
 * hand out a `PreparedStatement` instead: same members (`query`, `id`, `columns`, `parameters`,
 * `execute`, `close`), and `execute()` runs through aurora-ha's pipeline on the connection in
 * use, preparing the statement again there first when it was prepared on another one.
 */
import type { NativeCallback, NativeMysqlConnection } from './mysql2-native.js';
import { statementConnectionOf } from '../../drivers/mysql2/internals.js';

/** mysql2's PreparedStatementInfo, as the facades use it. */
export interface NativeStatement {
  query: string;
  id: number;
  columns: unknown[];
  parameters: unknown[];
  rowParser: unknown;
  execute(parameters: unknown, callback?: NativeCallback): unknown;
  close(): unknown;
}

/** The facade a handle belongs to: runs its executions and knows the connection in use. */
export interface StatementOwner {
  executePrepared(
    statement: PreparedStatement,
    values: unknown,
    callback: NativeCallback | undefined,
  ): unknown;
  /** The mysql2 connection in use (undefined when closed or not connected yet). */
  readonly nativeConnection: NativeMysqlConnection | undefined;
  /** mysql2's config of the connection in use (mysql2's promise wrapper reads `config.trace`). */
  readonly config: unknown;
}

/** The options `prepare()` was given, as mysql2 keys its statement cache by them. */
export type PrepareOptions = { sql: string } & Record<string, unknown>;

export function prepareOptions(sql: unknown): PrepareOptions {
  if (typeof sql === 'object' && sql !== null) return { ...(sql as PrepareOptions) };
  return { sql: String(sql) };
}

export class PreparedStatement {
  readonly #owner: StatementOwner;
  readonly #options: PrepareOptions;
  #native: NativeStatement;
  /** A PREPARE of this statement running on another connection (after a failover). */
  #preparing: { native: NativeMysqlConnection; done: Promise<NativeStatement> } | undefined;

  constructor(owner: StatementOwner, native: NativeStatement, options: PrepareOptions) {
    this.#owner = owner;
    this.#native = native;
    this.#options = options;
  }

  get query(): string {
    return this.#native.query;
  }

  /** The statement id on the server of the connection it was last prepared on. */
  get id(): number {
    return this.#native.id;
  }

  get columns(): unknown[] {
    return this.#native.columns;
  }

  get parameters(): unknown[] {
    return this.#native.parameters;
  }

  get rowParser(): unknown {
    return this.#native.rowParser;
  }

  set rowParser(value: unknown) {
    this.#native.rowParser = value;
  }

  /** As mysql2's handle: its connection (the aurora-ha connection, whose config is the one in use). */
  get _connection(): StatementOwner {
    return this.#owner;
  }

  /**
   * mysql2's statement on `native`: this one when prepared there, else prepared again there
   * first — once: a second call while that PREPARE runs gets the same promise (the fast path
   * and the pipeline may both ask for one execute).
   */
  on(native: NativeMysqlConnection): NativeStatement | Promise<NativeStatement> {
    const current = this.#native;
    if (statementConnectionOf(current) === native) return current;
    const pending = this.#preparing;
    if (pending !== undefined && pending.native === native) return pending.done;
    let resolve!: (statement: NativeStatement) => void;
    let reject!: (err: Error) => void;
    const done = new Promise<NativeStatement>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Set before mysql2 runs the PREPARE: a cached statement answers synchronously.
    this.#preparing = { native, done };
    const settled = (): void => {
      if (this.#preparing?.done === done) this.#preparing = undefined;
    };
    try {
      native.prepare(this.#options, (err: Error | null, info?: unknown) => {
        settled();
        if (err) {
          reject(err);
          return;
        }
        this.#native = info as NativeStatement;
        resolve(this.#native);
      });
    } catch (err) {
      // As before, when the executor threw: a rejected promise, not a throw.
      settled();
      reject(err as Error);
    }
    return done;
  }

  /** As mysql2: `execute(values?, callback)`, on the connection in use. */
  execute(parameters?: unknown, callback?: NativeCallback): unknown {
    let values = parameters;
    let cb = callback;
    if (typeof parameters === 'function') {
      cb = parameters as NativeCallback;
      values = [];
    }
    return this.#owner.executePrepared(this, values ?? [], cb);
  }

  /**
   * As mysql2: deallocates the statement on the server. A statement prepared on a connection
   * that a failover replaced died with it: nothing to send.
   */
  close(): unknown {
    const native = this.#native;
    if (statementConnectionOf(native) !== this.#owner.nativeConnection) return undefined;
    return native.close();
  }
}
