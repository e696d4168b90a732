/**
 * The optional `@opentelemetry/api` peer, loaded synchronously if it is installed (from this
 * file's location, then from the working directory) in both the ESM and the CommonJS build, and
 * checked for the members the bridge uses. Absent: undefined, silently. Present but not a
 * supported 1.x: undefined, with one warning (`AURORA_HA_OTEL_UNSUPPORTED`). Several copies of
 * the API in one process share their registrations (global `Symbol.for` keys), so whichever
 * copy resolves here sees the user's SDK.
 */
import type * as OtelApi from '@opentelemetry/api';
import { requireOptional } from '../core/require-optional.js';

export type Api = typeof OtelApi;

function isSupported(api: unknown): api is Api {
  const a = api as Partial<Api> | undefined;
  return (
    typeof a?.context?.with === 'function' &&
    typeof a.context.active === 'function' &&
    typeof a.createContextKey === 'function' &&
    typeof a.metrics?.getMeter === 'function' &&
    typeof a.trace?.getTracer === 'function' &&
    typeof a.trace.setSpan === 'function' &&
    typeof a.createNoopMeter === 'function' &&
    a.ROOT_CONTEXT !== undefined
  );
}

const warned = new Set<string>();

/** Warn once per code and process copy; never throws. */
export function warnOtelOnce(
  code: 'AURORA_HA_OTEL_UNSUPPORTED' | 'AURORA_HA_OTEL_FAILED',
  text: string,
): void {
  if (warned.has(code)) return;
  warned.add(code);
  try {
    process.emitWarning(text, { code });
  } catch {
    // a throwing 'warning' listener is not ours to handle
  }
}

/** The API if installed and usable; undefined otherwise (never throws). */
export function loadOtelApi(): Api | undefined {
  let found: unknown;
  try {
    found = requireOptional('@opentelemetry/api');
  } catch {
    return undefined; // not installed
  }
  if (found === undefined) return undefined;
  if (!isSupported(found)) {
    warnOtelOnce(
      'AURORA_HA_OTEL_UNSUPPORTED',
      'aurora-ha: the installed @opentelemetry/api lacks what aurora-ha uses (a 1.x release from 1.3 on is needed); OpenTelemetry metrics and traces are off, everything else works',
    );
    return undefined;
  }
  return found;
}
