/**
 * Listener hand-over between `client.connection`s (pg's Connection objects) of one aurora-ha
 * Client: the first pg.Client opened uses the Connection the Client showed before connect, and
 * the application's listeners on `client.connection` follow the session from one physical
 * connection's Connection to the next (Sequelize listens for `parameterStatus` there).
 */
import type { EventEmitter } from 'node:events';
import type pg from 'pg';
import { pgConnectionStarted } from '../../drivers/pg/internals.js';

/**
 * The first pg.Client opened for this Client uses the template's Connection object, so that
 * `client.connection` (read by pg-pool's connect timeout and by tests before connect) is the
 * connection that will carry the session. One-shot: later connects (failover, monitors) get
 * their own; a Connection that already started connecting is never handed out again.
 */
function handOverConnection(
  driverConfig: Record<string, unknown>,
  template: pg.Client,
  handedOut: (connection: EventEmitter) => void,
): void {
  let first: object | undefined = template.connection;
  Object.defineProperty(driverConfig, 'connection', {
    configurable: true,
    enumerable: true,
    get(): unknown {
      const c = first;
      first = undefined;
      if (c !== undefined) handedOut(c as unknown as EventEmitter);
      return c !== undefined && !pgConnectionStarted(c) ? c : undefined;
    },
  });
}

/**
 * Listeners on `client.connection` (pg's Connection) that are the application's, not pg's:
 * Sequelize listens for `parameterStatus` there. pg attaches its own only when it connects a
 * Connection, so what is on one when it becomes current (or before pg connects it) is known
 * to be pg's (or already the user's); whatever is added later is the user's and follows the
 * session to the next physical connection. `end` listeners stay: they are about that socket
 * (pg's own end() adds one).
 */
const pgListenersOf = new WeakMap<EventEmitter, ReadonlySet<unknown>>();

type Listener = (...args: unknown[]) => void;
type Registered = [event: string | symbol, listener: Listener];

/** Every listener of `emitter` as registered (once-wrappers included), by event. */
function rawListenersOf(emitter: EventEmitter): Registered[] {
  const out: Registered[] = [];
  for (const event of emitter.eventNames()) {
    for (const fn of emitter.rawListeners(event)) out.push([event, fn as Listener]);
  }
  return out;
}

/** Move `listeners` from `from` to `to`, keeping once-listeners once (and the order). */
function moveListeners(from: EventEmitter, to: EventEmitter, listeners: readonly Registered[]): void {
  for (const [event, raw] of listeners) {
    const original = (raw as { listener?: unknown }).listener;
    if (typeof original === 'function') {
      from.removeListener(event, original as Listener);
      to.once(event, original as Listener);
    } else {
      from.removeListener(event, raw);
      to.on(event, raw);
    }
  }
}

/** The hand-over state of one aurora-ha Client (what its first connection is offered, and by whom). */
export class ConnectionListeners {
  /** `client.connection` before connect: the Connection the first session was offered. */
  #firstConnection: EventEmitter | undefined;
  /** The user's listeners on #firstConnection when pg was handed it (before pg added its own). */
  #preConnectListeners: Registered[] = [];

  /**
   * @param template the unconnected pg.Client whose Connection the Client shows before connect.
   * @param driverConfig the config the first pg.Client is built from: offered that Connection
   *   when `handOver` (no `stream` / `connection` of the user's in the config).
   */
  constructor(template: pg.Client, driverConfig: Record<string, unknown>, handOver: boolean) {
    this.#firstConnection = template.connection;
    if (handOver) {
      handOverConnection(driverConfig, template, (c) => {
        this.#preConnectListeners = rawListenersOf(c);
      });
    }
  }

  /**
   * The application's listeners on `client.connection` follow the session to `next`'s
   * Connection (see pgListenersOf). On the first connection: those added before connect, when
   * the session did not start on the Connection they were added to.
   */
  follow(prev: pg.Client | undefined, next: pg.Client): void {
    const to = next.connection as unknown as EventEmitter | undefined;
    if (to === undefined) return;
    let moving: Registered[] = [];
    let from: EventEmitter | undefined;
    if (prev === undefined) {
      from = this.#firstConnection;
      const before = this.#preConnectListeners;
      this.#firstConnection = undefined;
      this.#preConnectListeners = [];
      if (from !== undefined) {
        const still = new Set(rawListenersOf(from).map(([, fn]) => fn));
        moving = before.filter(([, fn]) => still.has(fn));
      }
      if (from === to) {
        const users = new Set(moving.map(([, fn]) => fn));
        pgListenersOf.set(
          to,
          new Set(
            rawListenersOf(to)
              .map(([, fn]) => fn)
              .filter((fn) => !users.has(fn)),
          ),
        );
        return;
      }
    } else {
      from = prev.connection;
      const own = from === undefined ? undefined : pgListenersOf.get(from);
      if (from !== undefined && own !== undefined) {
        moving = rawListenersOf(from).filter(([event, fn]) => event !== 'end' && !own.has(fn));
      }
    }
    pgListenersOf.set(to, new Set(rawListenersOf(to).map(([, fn]) => fn)));
    if (from !== undefined && from !== to && moving.length > 0) moveListeners(from, to, moving);
  }
}
