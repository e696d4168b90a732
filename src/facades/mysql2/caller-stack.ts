/**
 * mysql2/promise's async stack traces (its `trace` option, on by default): the stack of a
 * rejected promise names the code that made the call, not the socket handler that failed it.
 * mysql2's promise wrapper captures the caller's stack at the call; when aurora-ha runs the
 * call later (after its pipeline or the handshake) that capture would only name aurora-ha, so
 * the facade captures it at its own public method instead and applies it the same way.
 */

export interface StackHolder {
  stack?: string;
}

/** The caller's stack, frames from `below` (the public method) upwards left out. */
export function captureCallerStack(below: (...args: never[]) => unknown): StackHolder {
  const holder: StackHolder = {};
  Error.captureStackTrace(holder, below);
  return holder;
}

/** As mysql2: the error keeps its own first line (name and message) over the caller's frames. */
export function applyCallerStack(err: unknown, holder: StackHolder | undefined): void {
  const stack = holder?.stack;
  if (!(err instanceof Error) || typeof stack !== 'string' || stack === '') return;
  const lines = stack.split('\n');
  lines[0] = `${err.name}: ${err.message}`;
  err.stack = lines.join('\n');
}

/** `p`, its rejection carrying the caller's stack (when one was captured). */
export function withCallerStack<T>(p: Promise<T>, holder: StackHolder | undefined): Promise<T> {
  if (holder === undefined) return p;
  return p.catch((err: unknown) => {
    applyCallerStack(err, holder);
    throw err;
  });
}
