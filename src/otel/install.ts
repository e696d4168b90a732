/**
 * Turns the OpenTelemetry bridge on when it can matter, imported for its effect by the package's
 * entry points (`aurora-ha`, `aurora-ha/pg`, `aurora-ha/mysql2`, `aurora-ha/mysql2/promise`):
 * - no `@opentelemetry/api` installed, or `AURORA_HA_OTEL=off`: nothing happens, nothing subscribes;
 * - the API installed but no SDK registered: nothing subscribes either (the channels stay
 *   without subscribers, so nothing is built); whether one got registered is asked again right
 *   after the importing module ran, and on each internal query until one is;
 * - a meter or tracer provider registered: the bridge subscribes to the channels (once per
 *   process, even with both the ESM and the CommonJS build loaded), internal work runs with
 *   tracing suppressed (suppress.ts) and a traced failover in the user's context, its own work
 *   under its span (failover-hooks.ts).
 */
import { runInternal, setInternalRunner } from '../observe/internal-work.js';
import { setFailoverHooks } from '../observe/failover-work.js';
import { OtelBridge } from './bridge.js';
import { failoverHooks } from './failover-hooks.js';
import { isNoopMeter, METER_NAME, tracingRegistered } from './instruments.js';
import { loadOtelApi, type Api } from './load-api.js';
import { installSuppression } from './suppress.js';

/** aurora-ha's version, for the meter's and tracer's instrumentation scope. */
export const SCOPE_VERSION = '0.1.0';

const BRIDGE_KEY = Symbol.for('aurora-ha.otel.bridge');

function providerRegistered(api: Api): boolean {
  return !isNoopMeter(api, api.metrics.getMeter(METER_NAME)) || tracingRegistered(api);
}

let active = false;

function activate(api: Api): boolean {
  if (active) return true;
  try {
    if (!providerRegistered(api)) return false;
    active = true;
    installSuppression(api);
    const g = globalThis as { [BRIDGE_KEY]?: OtelBridge };
    let bridge = g[BRIDGE_KEY];
    if (bridge === undefined) {
      bridge = new OtelBridge(api, SCOPE_VERSION);
      g[BRIDGE_KEY] = bridge;
      bridge.start();
      bridge.warm();
    }
    setFailoverHooks(failoverHooks(bridge.spans));
    return true;
  } catch {
    return active;
  }
}

/** Idempotent; never throws. */
export function installOpenTelemetry(): void {
  if (process.env.AURORA_HA_OTEL === 'off') return;
  const api = loadOtelApi();
  if (api === undefined) return;
  if (activate(api)) return;
  // Not yet: look again once the importing module has run (an SDK started after the imports),
  // and at each internal query until a provider shows up.
  // (activate() swaps in the suppressing runner, so runInternal then goes through it.)
  setInternalRunner((fn) => (activate(api) ? runInternal(fn) : fn()));
  const t = setTimeout(() => activate(api), 0);
  t.unref();
}

installOpenTelemetry();
