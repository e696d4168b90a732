/**
 * mysql2's command objects as the facades hand them out: `query()` / `execute()` return the
 * native Query / Execute emitter (`.on('result' | 'fields' | 'end' | 'error')`, `.stream()`)
 * whenever the call reaches mysql2 at once. When it cannot (the connection is still opening),
 * a `LateCommand` stands in and forwards the native command's events once it exists.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';

/** The parts of a mysql2 command (Query, Execute, Prepare) the facades touch. */
export interface NativeCommand extends EventEmitter {
  onResult?: ((err: Error | null, ...results: unknown[]) => void) | undefined;
  stream(options?: unknown): Readable;
  sql?: unknown;
  values?: unknown;
}

/** A mysql2 command object passed to `query()` (e.g. from `mysql.createQuery()`), not SQL text. */
export function isNativeCommand(x: unknown): x is NativeCommand {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { on?: unknown }).on === 'function' &&
    'onResult' in x &&
    typeof (x as { sql?: unknown }).sql === 'string'
  );
}

/** The events a mysql2 command emits towards its user. */
const FORWARDED = ['fields', 'result', 'end'] as const;

/**
 * Stands in for a mysql2 command that does not exist yet: listeners attached now hear the
 * native command's events later; `stream()` returns a readable fed by the native stream.
 */
export class LateCommand extends EventEmitter {
  #native: NativeCommand | undefined;
  #settled = false;
  readonly #streams: { out: PassThrough; options: unknown }[] = [];

  /** The native command this one now forwards. */
  attach(native: NativeCommand | undefined): void {
    if (native === undefined || this.#native !== undefined || this.#settled) return;
    this.#native = native;
    for (const name of FORWARDED) native.on(name, (...args: unknown[]) => this.emit(name, ...args));
    native.on('error', (err: unknown) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    for (const { out, options } of this.#streams) this.#feed(out, native, options);
  }

  /** The native command's SQL (mysql2 rewrites named placeholders into it), once it exists. */
  get sql(): unknown {
    return this.#native?.sql;
  }

  /** The native command's values, once it exists. */
  get values(): unknown {
    return this.#native?.values;
  }

  /** The call failed before mysql2 had a command: report it as mysql2 would, then end. */
  fail(err: unknown): void {
    if (this.#native !== undefined || this.#settled) return;
    this.#settled = true;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    for (const { out } of this.#streams) out.destroy(err as Error);
    this.emit('end');
  }

  /** As mysql2's Query: a command is not a promise (awaiting it is a programming error). */
  then(): never {
    throw new Error(
      "You have tried to call .then(), .catch(), or invoked await on the result of query that is not a promise, which is a programming error. Try calling con.promise().query(), or require('mysql2/promise') instead of 'mysql2' for a promise-compatible version of the query interface.",
    );
  }

  catch(): never {
    return this.then();
  }

  stream(options?: unknown): Readable {
    const out = new PassThrough({ objectMode: true });
    // As mysql2's command stream: 'end' also when it closes early (destroyed, failed).
    out.once('close', () => {
      if (!out.readableEnded) out.emit('end');
    });
    const native = this.#native;
    if (native !== undefined) this.#feed(out, native, options);
    else this.#streams.push({ out, options });
    return out;
  }

  #feed(out: PassThrough, native: NativeCommand, options: unknown): void {
    if (typeof native.stream !== 'function') {
      out.destroy(new Error('This command does not stream.'));
      return;
    }
    const source = native.stream(options);
    source.on('error', (err: Error) => out.destroy(err));
    source.on('fields', (...args: unknown[]) => out.emit('fields', ...args));
    source.on('result', (...args: unknown[]) => out.emit('result', ...args));
    // Destroying ours destroys mysql2's, which resumes a connection it paused for backpressure.
    out.once('close', () => {
      if (!source.destroyed) source.destroy();
    });
    source.pipe(out);
  }
}
