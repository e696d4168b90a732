/**
 * The span a tracing instrumentation (instrumentation-pg / -mysql2) starts for a user's
 * statement, noted per physical connection, so that the failover of that connection can link to
 * its failed statement (otel/spans.ts). The instrumentation starts that span synchronously inside
 * the driver's `query` / `execute` and never makes it active, so it is caught where it starts: a
 * span processor of the user's SDK (otel/span-processor.ts) hands every started span to
 * `noteStartedSpan`, which keeps the first one started while a native call of ours is open.
 *
 * Nothing is wrapped and nothing runs per query unless such a processor exists when the physical
 * connection is opened: then its native `query` / `execute` get an own wrapper (three assignments
 * around the call, one small object per statement). The open slot lives on `globalThis`, shared
 * by the ESM and the CommonJS build (the processor may come from the other one).
 */

/** What was noted around one native call: the span started in it and its parent context. */
export interface NotedStatement {
  span: unknown;
  parent: unknown;
}

interface SharedState {
  /** A span processor that calls noteStartedSpan exists. */
  listening: boolean;
  /** The native call running now, if it is one of ours. */
  open: NotedStatement | undefined;
}

const STATE_KEY = Symbol.for('aurora-ha.statement-spans');
const state: SharedState = ((globalThis as { [STATE_KEY]?: SharedState })[STATE_KEY] ??= {
  listening: false,
  open: undefined,
});

/** What is kept per wrapped physical connection: its last statement that started a span. */
interface Holder {
  last: NotedStatement | undefined;
}

/** physical connection → its holder (set once, when wrapped). */
const holders = new WeakMap<object, Holder>();

/** From now on, physical connections opened note their statements' spans. */
export function listenForStatementSpans(): void {
  state.listening = true;
}

/** A span just started (called by the span processor, synchronously from the tracer). */
export function noteStartedSpan(span: unknown, parent: unknown): void {
  const slot = state.open;
  if (slot !== undefined && slot.span === undefined) {
    slot.span = span;
    slot.parent = parent;
  }
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wrap `native`'s `methods` (own properties, calling the prototype's method of the moment, so an
 * instrumentation patching the prototype later is still called) to note, for `conn`, the span
 * each call starts. A no-op while no processor listens.
 */
export function noteStatementSpans(conn: object, native: object, methods: readonly string[]): void {
  if (!state.listening) return;
  const own = native as Record<string, unknown>;
  const proto = Object.getPrototypeOf(native) as Record<string, unknown> | null;
  const holder: Holder = { last: undefined };
  holders.set(conn, holder);
  for (const name of methods) {
    if (proto === null || typeof proto[name] !== 'function') continue;
    own[name] = function noted(this: unknown, ...args: unknown[]): unknown {
      const slot: NotedStatement = { span: undefined, parent: undefined };
      const outer = state.open;
      state.open = slot;
      try {
        return (proto[name] as Method).apply(this, args);
      } finally {
        state.open = outer;
        if (slot.span !== undefined) holder.last = slot;
      }
    };
  }
}

/** The last statement sent on `conn` that started a span, forgotten once asked for. */
export function takeLastStatement(conn: object | undefined): NotedStatement | undefined {
  const holder = conn === undefined ? undefined : holders.get(conn);
  const noted = holder?.last;
  if (holder !== undefined) holder.last = undefined;
  return noted;
}
