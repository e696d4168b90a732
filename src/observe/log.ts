/**
 * Where aurora-ha's log lines go: the `logger` option (any object with debug / info / warn /
 * error taking a string: console, pino, winston) and, with no option at all,
 * `NODE_DEBUG=aurora-ha` through `util.debuglog('aurora-ha')`, which gets every line at every
 * level. Nothing is logged without either. A logger that throws (or returns a rejected promise)
 * loses that line: aurora-ha goes on and says so once with a process warning
 * (`AURORA_HA_LOGGER`). Lines are built by the callers from host names, ids, durations and
 * error names / codes, never from credentials; `redactUrl` is applied on top to every URL in a line.
 */
import { debuglog } from 'node:util';
import { redactUrl } from '../core/redact.js';
import type { AuroraLogger } from '../core/wrapper-options.js';
import { warnOnce } from './guarded-channel.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const debugLine = debuglog('aurora-ha');

/** True when NODE_DEBUG names aurora-ha (read once by Node, at the first check). */
export function debugEnabled(): boolean {
  return debugLine.enabled;
}

function loggerFailed(err: unknown): void {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  warnOnce(
    'AURORA_HA_LOGGER',
    `the logger given to aurora-ha threw (${what}); that line was dropped, aurora-ha goes on (reported once)`,
  );
}

/** Call `logger[level](line)`; a throw or a rejected promise is reported once, never raised. */
export function callLogger(logger: AuroraLogger, level: LogLevel, line: string): void {
  try {
    const fn = (logger as Partial<Record<LogLevel, unknown>>)[level];
    if (typeof fn !== 'function') return;
    const r: unknown = (fn as (this: AuroraLogger, msg: string) => unknown).call(logger, line);
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      (r as PromiseLike<unknown>).then(undefined, loggerFailed);
    }
  } catch (err) {
    loggerFailed(err);
  }
}

/** Every connection string inside a line, its password hidden (core/redact.ts). */
function redactUrls(text: string): string {
  return text.includes('://') ? text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => redactUrl(url)) : text;
}

/** One line to NODE_DEBUG (when on, once) and to each logger given. */
export function writeLine(
  to: AuroraLogger | Iterable<AuroraLogger> | undefined,
  level: LogLevel,
  text: string,
): void {
  const line = redactUrls(text);
  if (debugLine.enabled) debugLine('%s %s', level, line);
  if (to === undefined) return;
  if (isLogger(to)) callLogger(to, level, line);
  else for (const logger of to) callLogger(logger, level, line);
}

function isLogger(x: AuroraLogger | Iterable<AuroraLogger>): x is AuroraLogger {
  return typeof (x as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function';
}

/** Whether `writeLine(logger, …)` would write anywhere (build no line otherwise). */
export function logs(logger: AuroraLogger | undefined): boolean {
  return logger !== undefined || debugLine.enabled;
}
