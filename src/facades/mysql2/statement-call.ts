/**
 * One statement call (query / execute / prepare, a prepared statement's execute) as the
 * statement paths share it: the types the Connection and pools see, and the state of a call sent
 * through aurora-ha's pipeline — its arguments as normalized once, and what its attempts left
 * (the native command, a synchronous throw, the held events, the stand-in command, delivery).
 */
import type { MysqlLogical } from './mysql2-native.js';
import type { LateCommand, NativeCommand } from './query-command.js';
import type { HeldEvents } from './held-errors.js';
import type { NativeStatement, PreparedStatement } from './prepared-statement.js';
import { STATE } from './connection-state.js';
import type { ConnectionState } from './connection-state.js';
import { takeCommandObject } from './statement-command-object.js';
import type { GivenCommand } from './statement-command-object.js';

export type StatementMethod = 'query' | 'execute' | 'prepare';

export type Callback = (err: Error | null, ...results: unknown[]) => void;

/** Called with aurora-ha's error when a call was rejected before it reached any server. */
export type NotSentHook = (err: Error) => void;

/** What pools and prepared statement handles add to a statement call. */
export interface StatementExtras {
  /** Pools: called instead of the callback when aurora-ha rejected the call before it reached a server. */
  notSent?: NotSentHook;
  /** Pools: called once the call is over, before the callback. */
  settled?: (err?: unknown) => void;
  /** A prepared statement handle's execute(). */
  prepared?: PreparedStatement;
}

/** What the dispatch uses of the Connection it runs for (`this` of `statementDispatch`'s methods). */
export interface StatementHost {
  readonly [STATE]: ConnectionState;
  statement(
    method: StatementMethod,
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    extra?: StatementExtras,
  ): NativeCommand;
  afterOpen(
    method: StatementMethod,
    sql: unknown,
    values: unknown,
    callback: Callback | undefined,
    prepared: PreparedStatement | undefined,
  ): NativeCommand;
  /** The handle given for a statement mysql2 prepared: one that survives a failover. */
  statementHandle(info: NativeStatement, sql: unknown): PreparedStatement;
}

/** A call sent through the pipeline: fixed arguments, then what its attempts left behind. */
export interface PipelinedCall {
  readonly host: StatementHost;
  readonly logical: MysqlLogical;
  readonly method: StatementMethod;
  readonly sql: unknown;
  /** The values (undefined when the callback came in their place). */
  readonly values: unknown;
  /** The caller's callback, or the command object's own; undefined: the event-emitter form. */
  readonly callback: Callback | undefined;
  /** A command object the caller passed to query() (mysql.createQuery), as given. */
  readonly given: GivenCommand | undefined;
  readonly prepared: PreparedStatement | undefined;
  readonly notSent: NotSentHook | undefined;
  readonly settled: ((err?: unknown) => void) | undefined;
  /** The native command of the last attempt (undefined: none reached mysql2). */
  cmd: NativeCommand | undefined;
  /** What mysql2 threw synchronously during an attempt. */
  thrown: { err: unknown } | undefined;
  /** Emitter form: the command's 'error' / 'end', held until the pipeline decided. */
  held: HeldEvents | undefined;
  /** The stand-in handed out when no command reached mysql2 at once. */
  late: LateCommand | undefined;
  /** The results reached the caller (a later failure is not reported). */
  delivered: boolean;
}

/** The call's state, with mysql2's argument shifts applied: `(sql, callback)`, a command object. */
export function pipelinedCall(
  host: StatementHost,
  method: StatementMethod,
  sql: unknown,
  values: unknown,
  callback: Callback | undefined,
  extra: StatementExtras,
): PipelinedCall {
  let cb = callback;
  let vals = values;
  if (typeof values === 'function') {
    cb = values as Callback;
    vals = undefined;
  }
  const taken = takeCommandObject(method, sql, cb);
  return {
    host,
    logical: host[STATE].logical,
    method,
    sql,
    values: vals,
    callback: taken.callback,
    given: taken.given,
    prepared: extra.prepared,
    notSent: extra.notSent,
    settled: extra.settled,
    cmd: undefined,
    thrown: undefined,
    held: undefined,
    late: undefined,
    delivered: false,
  };
}

/** The outcome of one attempt on a native connection: what the pipeline awaits. */
export interface AttemptOutcome {
  readonly done: Promise<unknown[]>;
  readonly resolve: (results: unknown[]) => void;
  readonly reject: (err: unknown) => void;
}

export function attemptOutcome(): AttemptOutcome {
  let resolve!: (results: unknown[]) => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<unknown[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { done, resolve, reject };
}
