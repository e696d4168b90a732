/**
 * The event-emitter form of a pipelined statement call (no callback: the caller listens on the
 * Query / Execute, or streams it). The caller listens on the first native command, so it is
 * never resent. Its `'error'` (and the `'end'` after it) are held until the pipeline decided,
 * then it emits aurora-ha's outcome (held-errors.ts).
 */
import type { NativeMysqlConnection } from './mysql2-native.js';
import type { NativeCommand } from './query-command.js';
import { holdErrors } from './held-errors.js';
import type { HeldEvents } from './held-errors.js';
import type { AttemptOutcome, PipelinedCall } from './statement-call.js';
import { failCommand } from './statement-late.js';

/** query / execute with no callback: the native command is what the caller listens on. */
export function sendWithoutCallback(
  native: NativeMysqlConnection,
  method: 'query' | 'execute',
  sql: unknown,
  values: unknown,
): NativeCommand {
  return (values === undefined ? native[method](sql) : native[method](sql, values)) as NativeCommand;
}

/**
 * Hold `cmd`'s 'error' / 'end' until the pipeline decided. A lost socket fails a callback-less
 * command only through the connection's 'error' (mysql2 emits nothing on the command then):
 * follow that too, until the attempt is over.
 */
export function holdUntilDecided(
  cmd: NativeCommand,
  native: NativeMysqlConnection,
  outcome: AttemptOutcome,
): HeldEvents {
  const held = holdErrors(cmd, outcome.resolve, outcome.reject);
  const onLost = (err: unknown): void => held.lose(err);
  native.once('error', onLost);
  const detach = (): void => {
    native.off('error', onLost);
  };
  outcome.done.then(detach, detach);
  return held;
}

/**
 * The pipeline failed the call: `settled` first (a pool releases the connection), then the
 * command emits the outcome — through the held events when a command reached mysql2, else as
 * mysql2 fails a command that never reached it.
 */
export function failEmitter(call: PipelinedCall, handle: NativeCommand, err: unknown): void {
  call.settled?.(err);
  if (call.cmd === undefined || call.held === undefined) failCommand(handle, err);
  else call.held.release(err);
}
