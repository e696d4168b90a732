/**
 * What one initial connection needs while it retries: the service, the cluster endpoint asked
 * for, one deadline (`openConnectionRetryTimeoutMs`) that bounds every step of the whole open,
 * and the signal that fires at that deadline (aborting the connect or query in flight).
 */
import type { PluginService } from '../../connection/plugin.js';
import type { HostInfo } from '../../drivers/host-info.js';
import { Deadline } from '../../core/time.js';

/** Bound on one connect or one role / topology query inside the open (the deadline may cut it shorter). */
export const STEP_TIMEOUT_MS = 10_000;

export interface OpenContext {
  readonly service: PluginService;
  /** The cluster endpoint the user asked for. */
  readonly endpoint: HostInfo;
  readonly deadline: Deadline;
  /** Fires when the deadline passes. */
  readonly signal: AbortSignal;
}

/** A context whose signal fires at `openConnectionRetryTimeoutMs`; call `done()` when the open ends. */
export function openContext(
  service: PluginService,
  endpoint: HostInfo,
): { ctx: OpenContext; done: () => void } {
  const ms = service.config.options.openConnectionRetryTimeoutMs;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), ms);
  timer.unref();
  return {
    ctx: { service, endpoint, deadline: new Deadline(ms), signal: stop.signal },
    done: () => clearTimeout(timer),
  };
}

/** A step bound: `STEP_TIMEOUT_MS`, or less when the deadline is nearer. */
export function stepMs(ctx: OpenContext): number {
  return ctx.deadline.cap(STEP_TIMEOUT_MS);
}
