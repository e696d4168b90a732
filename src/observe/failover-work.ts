/**
 * The context a traced failover runs in, set by a telemetry bridge (the OpenTelemetry one,
 * otel/spans.ts): `aroundFailover` wraps the whole traced failover (its trace's start included)
 * and gives the bridge the failed physical connection, whose failed statement the failover span
 * links to; `inFailover` wraps the failover's own work (rollback, search, reconnect, restore),
 * which the bridge runs with the failover span active. Pass-throughs (one `undefined` test) until
 * a bridge installs its hooks; only called for a failover someone traces.
 */
import type { FailoverMessage } from './channels.js';

export interface FailoverHooks {
  around<T>(m: FailoverMessage, failed: object | undefined, fn: () => T): T;
  within<T>(m: FailoverMessage, fn: () => T): T;
}

let hooks: FailoverHooks | undefined;

/** Run `fn` (the traced failover of `m`, on the failed physical connection `failed`). */
export function aroundFailover<T>(m: FailoverMessage, failed: object | undefined, fn: () => T): T {
  return hooks === undefined ? fn() : hooks.around(m, failed, fn);
}

/** Run `fn` (the failover's own work) in the failover's context. */
export function inFailover<T>(m: FailoverMessage, fn: () => T): T {
  return hooks === undefined ? fn() : hooks.within(m, fn);
}

/** Install the bridge's hooks. A hook that throws before running `fn` is bypassed. */
export function setFailoverHooks(next: FailoverHooks | undefined): void {
  if (next === undefined) {
    hooks = undefined;
    return;
  }
  const safe = <T>(run: (fn: () => T) => T, fn: () => T): T => {
    let ran = false;
    try {
      return run(() => {
        ran = true;
        return fn();
      });
    } catch (err) {
      if (!ran) return fn();
      throw err;
    }
  };
  hooks = {
    around: (m, failed, fn) => safe((f) => next.around(m, failed, f), fn),
    within: (m, fn) => safe((f) => next.within(m, f), fn),
  };
}
