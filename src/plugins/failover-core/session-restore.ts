/**
 * `keepSessionStateOnFailover` for v1 and v2: which session state a new physical connection
 * gets (what the user set through our API, overridden by what the failed connection's server
 * reported), applied with a bound so a slow instance cannot stall the failover.
 */
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection, SessionState } from '../../drivers/driver.js';
import { withTimeout } from '../../core/time.js';

/** Bound on restoring the session state on the new connection. */
export const RESTORE_TIMEOUT_MS = 2000;

/** API-recorded state, overridden by what the failed connection's server reported. */
export function sessionToRestore(
  recorded: SessionState,
  failed: PhysicalConnection | undefined,
): SessionState {
  const reported = failed?.reportedSessionState?.() ?? {};
  const parameters = { ...(recorded.parameters ?? {}), ...(reported.parameters ?? {}) };
  const state: SessionState = { ...recorded, ...reported };
  if (Object.keys(parameters).length > 0) state.parameters = parameters;
  return state;
}

/**
 * Restore the session of `failed` on `conn` when the option asks for it, bounded by `boundMs`
 * (RESTORE_TIMEOUT_MS, or less when the failover's deadline is nearer); rejects on failure.
 */
export async function restoreSession(
  service: PluginService,
  conn: PhysicalConnection,
  failed: PhysicalConnection | undefined,
  boundMs = RESTORE_TIMEOUT_MS,
): Promise<void> {
  if (!service.config.options.keepSessionStateOnFailover) return;
  await withTimeout(
    service.driver.restoreSessionState(conn, sessionToRestore(service.sessionState(), failed)),
    boundMs,
    'restoring session state',
  );
}
