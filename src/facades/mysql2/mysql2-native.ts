/**
 * What the mysql2 facades share: the structural type of the native mysql2 connection they
 * call, the logical connection they are built on, and forwarding of the native
 * connection's events (re-attached whenever the physical connection changes).
 */
import type { ConnectPurpose } from '../../observe/channels.js';
import type { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'mysql2';
import { noteStatement } from '../../connection/session-statements.js';
import { resolveConfig } from '../../config/parse-config.js';
import type { WrapperOptions } from '../../core/wrapper-options.js';
import { resolvePluginFactories } from '../../plugins/registry.js';
import { LogicalConnection } from '../../connection/logical-connection.js';
import { sendOnce, type NetworkMethod, type PluginFactory } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { FailoverEvent } from '../../connection/failover-event.js';
import { mysql2Adapter } from '../../drivers/mysql2/mysql2-adapter.js';

export type AuroraConnectionOptions = ConnectionOptions & WrapperOptions;

export type NativeCallback = (err: Error | null, ...results: unknown[]) => void;

/** The callback-style mysql2 Connection, as the facades call it. */
export interface NativeMysqlConnection extends EventEmitter {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
  prepare(...args: unknown[]): unknown;
  beginTransaction(cb: NativeCallback): void;
  commit(cb: NativeCallback): void;
  rollback(cb: NativeCallback): void;
  ping(cb: NativeCallback): void;
  changeUser(options: unknown, cb: NativeCallback): void;
  promise(): NativePromiseConnection;
  destroy(): void;
  threadId: number | null;
}

/** mysql2's promise wrapper of a connection (`connection.promise()`). */
export interface NativePromiseConnection {
  readonly connection: NativeMysqlConnection;
  query(...args: unknown[]): Promise<unknown>;
  execute(...args: unknown[]): Promise<unknown>;
  prepare(...args: unknown[]): Promise<unknown>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  ping(): Promise<void>;
  changeUser(options: unknown): Promise<void>;
}

/** The logical connection of a mysql2 facade and which of its methods have no pipeline. */
export interface MysqlLogical {
  readonly lc: LogicalConnection<NativeMysqlConnection>;
  /** Methods no plugin subscribes to: the facade calls mysql2 directly. */
  readonly bare: Readonly<Record<NetworkMethod, boolean>>;
}

/**
 * A plain copy of the user's config with every own property, non-enumerable ones included:
 * knex and pool libraries define `password` non-enumerable, and it must still reach mysql2.
 */
export function ownConfig(config: string | AuroraConnectionOptions): string | Record<string, unknown> {
  if (typeof config !== 'object' || config === null) return config;
  const copy: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(config)) {
    copy[key] = (config as Record<string, unknown>)[key];
  }
  return copy;
}

export function createMysqlLogical(
  config: string | AuroraConnectionOptions,
  factories?: readonly PluginFactory[],
  purpose: ConnectPurpose = 'user',
): MysqlLogical {
  const resolved = resolveConfig('mysql', ownConfig(config));
  const lc = new LogicalConnection<NativeMysqlConnection>(
    resolved,
    mysql2Adapter,
    factories ?? resolvePluginFactories(resolved.options.plugins),
  );
  if (purpose !== 'user') lc.service.purpose = purpose;
  const bare = {} as Record<NetworkMethod, boolean>;
  for (const m of [
    'query',
    'execute',
    'prepare',
    'beginTransaction',
    'commit',
    'rollback',
    'ping',
    'changeUser',
  ] as const) {
    bare[m] = lc.pipelineFor(m) === undefined;
  }
  return { lc, bare };
}

/** What a facade does when the native connection it forwards from ended on its own. */
export interface MysqlFacade extends EventEmitter {
  physicalEnded(): void;
  /** Whether aurora-ha recovers a lost socket on the next call (then the loss is no `'error'`). */
  recoversFromLoss(): boolean;
}

/** Which facade a native connection forwards its events to (a WeakMap: mysql2's objects stay as they are). */
const facadeOf = new WeakMap<NativeMysqlConnection, MysqlFacade>();

type NativeWithFacade = NativeMysqlConnection;

// Shared forwarders (no closure per connection): `this` is the native connection.
/**
 * Errors of an idle connection reach the user only when they listen (a lost socket must not
 * crash the process), and only when aurora-ha will not recover the loss: a recovered loss is no
 * `'error'` event (pools discard a connection on `'error'`; ARCHITECTURE.md › Idle loss).
 */
function forwardError(this: NativeWithFacade, err: Error): void {
  const facade = facadeOf.get(this);
  if (facade === undefined || facade.listenerCount('error') === 0) return;
  if (facade.recoversFromLoss()) return;
  facade.emit('error', err);
}

function forwardEnd(this: NativeWithFacade): void {
  facadeOf.get(this)?.physicalEnded();
}

/** The native connection behind a socket (for the socket's `'close'`). */
const nativeOfStream = new WeakMap<object, NativeWithFacade>();

/**
 * The socket closed. mysql2 emits neither `'error'` nor `'end'` on the connection when the loss
 * reached a command in flight (an internal query of a plugin, say) and the socket was reset: the
 * connection is then closed without a word. Its socket's `'close'` says it.
 */
function forwardStreamClose(this: object): void {
  const native = nativeOfStream.get(this);
  if (native !== undefined) forwardEnd.call(native);
}

function streamOf(native: NativeWithFacade): EventEmitter | undefined {
  return (native as unknown as { stream?: EventEmitter }).stream;
}

/** Move `error` / `end` forwarding from the previous native connection to the current one. */
export function moveNativeEvents(
  facade: MysqlFacade,
  conn: PhysicalConnection,
  previous: PhysicalConnection | undefined,
): void {
  const prev = previous?.native as NativeWithFacade | undefined;
  if (prev !== undefined) {
    facadeOf.delete(prev);
    prev.off('error', forwardError);
    prev.off('end', forwardEnd);
    const prevStream = streamOf(prev);
    if (prevStream !== undefined) {
      nativeOfStream.delete(prevStream);
      prevStream.off('close', forwardStreamClose);
    }
  }
  const next = conn.native as NativeWithFacade;
  facadeOf.set(next, facade);
  next.on('error', forwardError);
  next.on('end', forwardEnd);
  const stream = streamOf(next);
  if (stream !== undefined) {
    nativeOfStream.set(stream, next);
    stream.on('close', forwardStreamClose);
  }
}

/**
 * Whether a native connection that ended is the end of the logical one: no plugin, no plugin
 * that could ever fail over (failover disabled or already failed), or a server that is not
 * topology-aware (a plain MySQL / MariaDB: nothing to fail over to) and no plugin recovering the
 * loss. On a topology-aware server the next call recovers it (or learns the topology late and
 * fails over).
 */
export function nothingRecovers(logical: MysqlLogical): boolean {
  if (logical.bare.query || !logical.lc.mayRecoverLoss()) return true;
  return !logical.lc.recoversFromLoss() && logical.lc.service.dialect?.topologyAware !== true;
}

/**
 * Run `call` on the native connection once connected, through the method's pipeline. `once`:
 * the caller cannot follow a second native call (see `sendOnce`), so no plugin resends it.
 * `statement`: the SQL the call sends (string or `{ sql }`), noted on a watched reader session
 * (session-statements.ts); a call that sends none passes undefined and is not noted.
 */
export function runOnNative<T>(
  logical: MysqlLogical,
  method: NetworkMethod,
  call: (native: NativeMysqlConnection) => Promise<T>,
  once = false,
  statement?: unknown,
): Promise<T> {
  const lc = logical.lc;
  const bound =
    statement === undefined
      ? (): Promise<T> => call(lc.native())
      : (): Promise<T> => {
          const native = lc.native();
          if (lc.current!.watchSession === true) noteStatement(lc.current, statement);
          return call(native);
        };
  const run = once ? sendOnce(bound) : bound;
  if (lc.current === undefined && !lc.closing) return lc.ready().then(() => lc.execute(method, run));
  return lc.execute(method, run);
}

/**
 * After a successful `changeUser`: record the new schema (session state) and make every later
 * connect of this logical connection (failover included) use the credentials mysql2 now holds
 * for the session (it updates its config when the server accepted the change).
 */
export function followChangeUser(logical: MysqlLogical, options: Readonly<Record<string, unknown>>): void {
  const service = logical.lc.service;
  const native = logical.lc.current?.native as { config?: Record<string, unknown> } | undefined;
  const cfg = native?.config;
  const change: Record<string, unknown> = {};
  // Credentials always; the database only with a new user (who may have no access to the old
  // one): otherwise the database is session state, restored only with keepSessionStateOnFailover.
  const keys =
    typeof options.user === 'string'
      ? (['user', 'password', 'database'] as const)
      : (['user', 'password'] as const);
  for (const key of keys) {
    const v = cfg?.[key] ?? options[key];
    if (typeof v === 'string') change[key] = v;
  }
  if (typeof options.charset === 'string') change.charset = options.charset;
  service.followCredentials(change);
  if (typeof options.database === 'string') service.recordSessionState({ schema: options.database });
}

/** Emit `'failover'` (ARCHITECTURE.md › The 'failover' event) without letting a throwing listener break the failover. */
export function emitFailover(facade: EventEmitter, event: FailoverEvent): void {
  try {
    facade.emit('failover', event);
  } catch {
    // the listener's own failure
  }
}
