/**
 * Event-mode mysql2 commands (`query()` / `execute()` with no callback, `.stream()`): the
 * command's `'error'` and the `'end'` after it are held until aurora-ha's pipeline decided the
 * call's outcome, then the command emits that outcome (a failover error after a loss, the
 * driver's own error otherwise), so event and stream callers see the same errors as callback
 * and promise callers. Success events pass through at once.
 */
import type { NativeCommand } from './query-command.js';

export interface HeldEvents {
  /** True once the run settled (the command ended, failed, or its connection was lost). */
  readonly settled: boolean;
  /** The connection was lost under the command (mysql2 then emits nothing on the command). */
  lose(err: unknown): void;
  /** Stop holding: emit the outcome's `'error'` (when someone listens) and the `'end'` due. */
  release(err: unknown): void;
}

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

export function holdErrors(
  cmd: NativeCommand,
  resolveRun: (results: unknown[]) => void,
  rejectRun: (err: unknown) => void,
): HeldEvents {
  let settled = false;
  let rejected = false;
  let lost = false;
  let endHeld = false;
  let released = false;
  const inherited = cmd.emit as Emit;
  const own = Object.getOwnPropertyDescriptor(cmd, 'emit');
  const holding: Emit = function (this: NativeCommand, event, ...args) {
    if (!released) {
      if (event === 'error') {
        if (!settled) {
          settled = true;
          rejected = true;
          rejectRun(args[0]);
        }
        return true;
      }
      if (event === 'end') {
        if (rejected) {
          endHeld = true;
          return true;
        }
        if (!settled) {
          settled = true;
          resolveRun([]);
        }
      }
    }
    return inherited.call(this, event, ...args);
  };
  Object.defineProperty(cmd, 'emit', { configurable: true, writable: true, value: holding });
  return {
    get settled() {
      return settled;
    },
    lose(err) {
      if (settled) return;
      settled = true;
      rejected = true;
      lost = true;
      rejectRun(err);
    },
    release(err) {
      if (released) return;
      released = true;
      if (own !== undefined) Object.defineProperty(cmd, 'emit', own);
      else Reflect.deleteProperty(cmd, 'emit');
      if (cmd.listenerCount('error') > 0) cmd.emit('error', err);
      // After a loss mysql2 emits nothing more on the command: its 'end' is ours to emit.
      if (endHeld || lost) cmd.emit('end');
    },
  };
}
