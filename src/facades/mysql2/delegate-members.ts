/**
 * Delegation of mysql2's Connection surface: every member of mysql2's Connection (its
 * prototype chain, and the instance properties its constructor sets) that a facade does not
 * define itself is forwarded to the native connection in use at the time of the call, so the
 * facade keeps mysql2's whole API as mysql2 evolves, and follows the connection after a
 * failover. Before the first connection exists a forwarded method throws a clear error and a
 * forwarded property reads as `undefined`.
 */
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import { ConnectionClosedError } from '../../core/errors.js';

/**
 * The instance properties mysql2's Connection constructor sets (they are not on its
 * prototype, so they are listed here; the member-parity unit test checks this list against a
 * real mysql2 connection).
 */
export const NATIVE_INSTANCE_PROPERTIES: readonly string[] = [
  'config',
  'stream',
  'threadId',
  'authorized',
  'sequenceId',
  'compressedSequenceId',
  'serverCapabilityFlags',
  'connectTimeout',
  'clientEncoding',
  'packetParser',
  'serverEncoding',
  'connectionId',
  '_command',
  '_commands',
  '_handshakePacket',
  '_internalId',
  '_isMariaDB',
  '_mariadbExtendedMetadata',
  '_paused',
  '_paused_packets',
  '_statements',
  '_fatalError',
  '_protocolError',
  '_outOfOrderPackets',
  '_closing',
];

/** The members of mysql2's Connection prototype chain up to (not including) EventEmitter. */
export function nativePrototypeMembers(): Map<string, PropertyDescriptor> {
  const members = new Map<string, PropertyDescriptor>();
  let proto: object | null = (mysql as unknown as { Connection: { prototype: object } }).Connection.prototype;
  while (proto !== null && proto !== EventEmitter.prototype && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || members.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (d !== undefined) members.set(key, d);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return members;
}

function hasMember(proto: object, key: string): boolean {
  for (
    let p: object | null = proto;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(p, key)) return true;
  }
  return false;
}

/**
 * Define forwarders on `proto` (a facade class's prototype) for every mysql2 Connection member
 * it lacks. `nativeOf(this)` gives the current native connection (undefined before connect).
 */
export function delegateNativeMembers(proto: object, nativeOf: (self: object) => object | undefined): void {
  for (const [key, d] of nativePrototypeMembers()) {
    if (hasMember(proto, key)) continue;
    if (typeof d.value === 'function') {
      Object.defineProperty(proto, key, {
        configurable: true,
        writable: true,
        value: function forwarded(this: object, ...args: unknown[]): unknown {
          const native = nativeOf(this) as Record<string, (...a: unknown[]) => unknown> | undefined;
          if (native === undefined) {
            throw new ConnectionClosedError(
              `${key}() needs an open connection: the connection is not connected yet.`,
            );
          }
          return native[key]!.apply(native, args);
        },
      });
    } else {
      defineForwardedProperty(proto, key, nativeOf);
    }
  }
  for (const key of NATIVE_INSTANCE_PROPERTIES) {
    if (!hasMember(proto, key)) defineForwardedProperty(proto, key, nativeOf);
  }
}

function defineForwardedProperty(
  proto: object,
  key: string,
  nativeOf: (self: object) => object | undefined,
): void {
  Object.defineProperty(proto, key, {
    configurable: true,
    get(this: object): unknown {
      const native = nativeOf(this) as Record<string, unknown> | undefined;
      return native?.[key];
    },
    set(this: object, value: unknown) {
      const native = nativeOf(this) as Record<string, unknown> | undefined;
      if (native !== undefined) native[key] = value;
    },
  });
}
