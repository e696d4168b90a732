/**
 * Forwarding of a native pg.Client's events to the aurora-ha Client that holds it now: notices,
 * notifications and 'drain' as they are; a socket error and the end to the Client's handlers.
 * Moved from one native client to the next when the physical connection changes. 'drain' is
 * subscribed apart, only while the Client has a 'drain' listener (forwardDrainOf): pg emits it
 * after every query, and an emit with a listener takes Node's slow path (ReflectApply) each time.
 */
import type pg from 'pg';

/** What the forwarded events reach (the aurora-ha Client). */
export interface NativeEventsTarget {
  emit(event: string, ...args: unknown[]): boolean;
  nativeDrain(native: pg.Client): void;
  nativeError(err: Error): void;
  physicalEnded(): void;
}

/**
 * Which facade a native pg.Client forwards its events to. A WeakMap, not a property on the
 * native client: adding a property would reshape pg's objects (and cost memory per connection).
 */
const facadeOf = new WeakMap<pg.Client, NativeEventsTarget>();

// Event forwarders shared by every Client (no closure per connection): `this` is the native client.
function forwardNotice(this: pg.Client, msg: unknown): void {
  facadeOf.get(this)?.emit('notice', msg);
}

function forwardNotification(this: pg.Client, msg: unknown): void {
  facadeOf.get(this)?.emit('notification', msg);
}

function forwardDrain(this: pg.Client): void {
  facadeOf.get(this)?.nativeDrain(this);
}

function forwardError(this: pg.Client, err: Error): void {
  facadeOf.get(this)?.nativeError(err);
}

function forwardEnd(this: pg.Client): void {
  facadeOf.get(this)?.physicalEnded();
}

/** `native`'s events reach `facade` from now on. */
export function forwardEvents(native: pg.Client, facade: NativeEventsTarget): void {
  facadeOf.set(native, facade);
  native.on('notice', forwardNotice);
  native.on('notification', forwardNotification);
  native.on('error', forwardError);
  native.on('end', forwardEnd);
}

/** `native`'s 'drain' reaches its facade (forwardEvents first), until stopForwardingDrain. */
export function forwardDrainOf(native: pg.Client): void {
  native.on('drain', forwardDrain);
}

/** `native`'s 'drain' is not forwarded any more (the other events still are). */
export function stopForwardingDrain(native: pg.Client): void {
  native.off('drain', forwardDrain);
}

/** `native` (a replaced physical connection's) forwards nothing any more, 'drain' included. */
export function stopForwardingEvents(native: pg.Client): void {
  facadeOf.delete(native);
  native.off('notice', forwardNotice);
  native.off('notification', forwardNotification);
  native.off('drain', forwardDrain);
  native.off('error', forwardError);
  native.off('end', forwardEnd);
}
