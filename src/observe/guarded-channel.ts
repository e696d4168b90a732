/**
 * `node:diagnostics_channel` channels that a throwing subscriber cannot take the process down
 * through. Node calls each subscriber inside `publish` and re-throws a subscriber's error on
 * the next tick as an uncaught exception (verified on Node 20: the process exits), which would
 * turn a bug in someone's telemetry into a crash during a failover. Our channel objects get an
 * own `publish` that calls the same subscribers in the same order with the same arguments and
 * reports the first error once with `process.emitWarning` (code `AURORA_HA_SUBSCRIBER`) instead.
 * `TracingChannel.traceSync` / `tracePromise` publish through their sub-channels' `publish`, so
 * they are guarded too. This reads Node's `_subscribers` array; where a Node version has none,
 * the channel is left as Node made it (subscriber errors are then Node's uncaught exceptions).
 */
import { channel, tracingChannel, type Channel, type TracingChannel } from 'node:diagnostics_channel';

type Subscriber = (message: unknown, name: string | symbol) => void;
interface ChannelInternals {
  _subscribers?: readonly Subscriber[];
  name: string | symbol;
}

const warned = new Set<string>();

/** Report a failure once per process and code (a subscriber's, a logger's); never throws. */
export function warnOnce(code: string, text: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  try {
    process.emitWarning(text, { code });
  } catch {
    // a throwing 'warning' listener is not ours to handle
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function guard<C extends object>(ch: C): C {
  if (!('_subscribers' in ch)) return ch;
  Object.defineProperty(ch, 'publish', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function publish(this: ChannelInternals, message: unknown): void {
      const subscribers = this._subscribers;
      if (subscribers === undefined) return;
      for (let i = 0; i < subscribers.length; i++) {
        try {
          (subscribers[i] as Subscriber)(message, this.name);
        } catch (err) {
          warnOnce(
            'AURORA_HA_SUBSCRIBER',
            `a diagnostics_channel subscriber of ${String(this.name)} threw (${describe(err)}); aurora-ha ignored it and goes on`,
          );
        }
      }
    },
  });
  return ch;
}

/** A plain channel whose subscribers' errors are reported once, never thrown. */
export function guardedChannel(name: string): Channel {
  return guard(channel(name));
}

/** A tracing channel (`tracing:<name>:start|end|asyncStart|asyncEnd|error`), each sub-channel guarded. */
export function guardedTracingChannel<M extends object>(name: string): TracingChannel<unknown, M> {
  const tc = tracingChannel<unknown, M>(name);
  guard(tc.start);
  guard(tc.end);
  guard(tc.asyncStart);
  guard(tc.asyncEnd);
  guard(tc.error);
  return tc;
}

/**
 * Whether anyone listens on any sub-channel. `TracingChannel.hasSubscribers` is missing on
 * early Node 20 releases, so the sub-channels are asked one by one.
 */
export function tracingHasSubscribers<M extends object>(tc: TracingChannel<unknown, M>): boolean {
  return (
    tc.start.hasSubscribers ||
    tc.end.hasSubscribers ||
    tc.asyncStart.hasSubscribers ||
    tc.asyncEnd.hasSubscribers ||
    tc.error.hasSubscribers
  );
}
