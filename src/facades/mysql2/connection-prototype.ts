/**
 * The prototype rewiring of the callback-style mysql2 Connection (connection.ts): mysql2's own
 * formatting functions, forwarders of mysql2's other members to the connection in use, mysql2's
 * Connection.prototype under ours (so `instanceof` mysql2's Connection holds), and copies of our
 * members over another prototype chain (the pool's) that still count as `instanceof Connection`.
 */
import mysql from 'mysql2';
import { MYSQL2_FORMATTING_MEMBERS } from '../../drivers/mysql2/internals.js';
import { delegateNativeMembers } from './delegate-members.js';
import type { Connection as ConnectionClass } from './connection.js';

/** Our Connection class, once connection.ts rewired it. */
let Connection: typeof ConnectionClass;

/** Rewire `cls`'s prototype (connection.ts calls it once, right after the class). */
export function rewireConnectionPrototype(cls: typeof ConnectionClass): void {
  Connection = cls;
  // mysql2's formatting members read nothing but `this.config` (and call each other): ours are
  // mysql2's own functions, so they behave as mysql2's with the config in use, also before connect.
  {
    const nativeProto = (mysql as unknown as { Connection: { prototype: Record<string, unknown> } })
      .Connection.prototype;
    for (const key of MYSQL2_FORMATTING_MEMBERS) {
      Object.defineProperty(Connection.prototype, key, {
        configurable: true,
        writable: true,
        value: nativeProto[key],
      });
    }
  }
  delegateNativeMembers(Connection.prototype, (self) => (self as ConnectionClass).nativeConnection);
  // `instanceof` mysql2's Connection (and its BaseConnection) holds, as code written for mysql2
  // checks it. Every mysql2 member is defined on our prototype above (ours or a forwarder), so
  // nothing of mysql2's prototype runs on this object.
  Object.setPrototypeOf(
    Connection.prototype,
    (mysql as unknown as { Connection: { prototype: object } }).Connection.prototype,
  );
  Object.defineProperty(Connection, Symbol.hasInstance, {
    configurable: true,
    value: function hasInstance(this: unknown, x: unknown): boolean {
      if (typeof this !== 'function') return false;
      if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
      if (this !== Connection || typeof x !== 'object' || x === null) return false;
      for (const copy of memberCopies) if (Object.prototype.isPrototypeOf.call(copy, x)) return true;
      return false;
    },
  });
}

/** Objects holding a copy of Connection.prototype's members (see connectionMembersOver). */
const memberCopies = new Set<object>();

/**
 * A copy of every member of Connection.prototype, on top of `base`: how a subclass gets our
 * connection's members over another prototype chain (the pool's, over mysql2's own
 * PoolConnection.prototype). `instanceof Connection` still holds for its instances.
 */
export function connectionMembersOver(base: object): object {
  const copy = Object.create(base) as object;
  for (const key of Reflect.ownKeys(Connection.prototype)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(Connection.prototype, key);
    if (d !== undefined) Object.defineProperty(copy, key, d);
  }
  Object.defineProperty(copy, 'constructor', { configurable: true, writable: true, value: Connection });
  memberCopies.add(copy);
  return copy;
}
