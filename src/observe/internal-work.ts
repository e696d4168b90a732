/**
 * aurora-ha's own work — topology, role-check, writer-search, probe, dialect-detection, rollback
 * and session-restore queries, and the connects of connections that exist only for them — runs
 * through `runInternal(fn)`, so that telemetry the user registered for their own statements
 * (`@opentelemetry/instrumentation-pg` / `-mysql2`) does not see it.
 *
 * A pass-through (one `undefined` test) until a telemetry bridge installs a runner: the
 * OpenTelemetry bridge (src/otel/) installs one that runs `fn` in a context with tracing
 * suppressed. It lives in observe/ (importable from drivers/ up) because the driver adapters, its lowest users, call it.
 */

/** Runs `fn` synchronously in whatever context the bridge needs, returning what `fn` returns. */
export type InternalRunner = <T>(fn: () => T) => T;

let runner: InternalRunner | undefined;

/** Run aurora-ha's own work (a query or connect of ours, never the user's). */
export function runInternal<T>(fn: () => T): T {
  return runner === undefined ? fn() : runner(fn);
}

/** Install (or with `undefined` remove) the runner. A runner that throws is bypassed. */
export function setInternalRunner(next: InternalRunner | undefined): void {
  if (next === undefined) {
    runner = undefined;
    return;
  }
  runner = <T>(fn: () => T): T => {
    let ran = false;
    try {
      return next(() => {
        ran = true;
        return fn();
      });
    } catch (err) {
      // The bridge failed before running fn: run it plain. An error of fn itself propagates.
      if (!ran) return fn();
      throw err;
    }
  };
}
