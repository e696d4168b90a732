/**
 * Driver surface by delegation: every public member of pg's Client (prototype methods and
 * accessors, and the fields its constructor sets) that our Client does not define itself is
 * installed on our prototype as a forwarder to the pg.Client in use (the current physical
 * connection's, re-pointed after a failover; before connect, an unconnected pg.Client holding
 * the same configuration). Computed from the pg that is loaded, so the parity follows pg.
 */
import { EventEmitter } from 'node:events';

type Resolve = (self: object) => Record<string, unknown>;

/** EventEmitter's own members (prototype and instance fields): ours already has them. */
function eventEmitterNames(): Set<string> {
  const names = new Set<string>(['constructor']);
  for (const n of Object.getOwnPropertyNames(EventEmitter.prototype)) names.add(n);
  for (const n of Object.getOwnPropertyNames(new EventEmitter())) names.add(n);
  return names;
}

/** Public member names of a pg.Client: its prototype chain up to EventEmitter, and a sample instance's fields. */
export function driverMemberNames(
  driverClass: abstract new (...args: never[]) => object,
  sample: object,
): string[] {
  const skip = eventEmitterNames();
  const names = new Set<string>();
  for (
    let proto: object | null = driverClass.prototype as object;
    proto !== null && proto !== EventEmitter.prototype && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const n of Object.getOwnPropertyNames(proto)) if (!skip.has(n)) names.add(n);
  }
  for (const n of Object.getOwnPropertyNames(sample)) if (!skip.has(n)) names.add(n);
  return [...names];
}

function findDescriptor(proto: object | null, name: string): PropertyDescriptor | undefined {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Install forwarders on `target.prototype` for each driver member it lacks. Methods call the
 * resolved pg.Client's method (so `this` is pg's); other members become accessors reading and
 * writing the resolved pg.Client's property. Returns the names installed.
 */
export function installDelegates(
  target: abstract new (...args: never[]) => object,
  driverClass: abstract new (...args: never[]) => object,
  sample: object,
  resolve: Resolve,
): string[] {
  const proto = target.prototype as object;
  const installed: string[] = [];
  for (const name of driverMemberNames(driverClass, sample)) {
    if (name in proto) continue;
    const d = findDescriptor(driverClass.prototype as object, name);
    if (d !== undefined && typeof d.value === 'function') {
      Object.defineProperty(proto, name, {
        configurable: true,
        writable: true,
        value: function (this: object, ...args: unknown[]): unknown {
          const t = resolve(this);
          return (t[name] as (...a: unknown[]) => unknown).apply(t, args);
        },
      });
    } else {
      Object.defineProperty(proto, name, {
        configurable: true,
        get(this: object): unknown {
          return resolve(this)[name];
        },
        set(this: object, value: unknown) {
          resolve(this)[name] = value;
        },
      });
    }
    installed.push(name);
  }
  return installed;
}
