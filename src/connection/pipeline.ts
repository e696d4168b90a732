/**
 * Plugin pipelines of one logical connection, composed once when the connection is created:
 * the connect pipeline and one execute pipeline per network method, plugins in the order
 * given (outer first), each receiving a precomposed `next`. A method no plugin subscribes to
 * has no pipeline at all (`undefined`): callers then invoke the driver directly, so a
 * connection with `plugins: []` costs exactly what the raw driver costs.
 */
import type { PhysicalConnection } from '../drivers/driver.js';
import type { HostInfo } from '../drivers/host-info.js';
import type { ConnectNext, ExecuteNext, NetworkMethod, Plugin } from './plugin.js';
import { NETWORK_METHODS } from './plugin.js';

export interface Pipelines {
  /** Opens a physical connection: subscribed plugins first, then `driverConnect`. */
  readonly connect: ConnectNext;
  /** Per network method: the composed chain, or `undefined` when no plugin subscribes to it. */
  readonly execute: Readonly<Partial<Record<NetworkMethod, ExecuteNext>>>;
}

/** Shared by every connection without plugins (nothing per connection). */
const NO_EXECUTE_PIPELINES: Readonly<Partial<Record<NetworkMethod, ExecuteNext>>> = Object.freeze({});

/** The innermost step of every execute pipeline: run the driver call itself. */
const runBare: ExecuteNext = <T>(_method: NetworkMethod, run: () => Promise<T>): Promise<T> => run();

function composeExecute(subscribers: readonly Plugin[]): ExecuteNext {
  let next: ExecuteNext = runBare;
  for (let i = subscribers.length - 1; i >= 0; i--) {
    const plugin = subscribers[i] as Plugin & Required<Pick<Plugin, 'execute'>>;
    const inner = next;
    next = <T>(method: NetworkMethod, run: () => Promise<T>): Promise<T> =>
      plugin.execute(method, run, inner);
  }
  return next;
}

function composeConnect(subscribers: readonly Plugin[], driverConnect: ConnectNext): ConnectNext {
  let next = driverConnect;
  for (let i = subscribers.length - 1; i >= 0; i--) {
    const plugin = subscribers[i] as Plugin & Required<Pick<Plugin, 'connect'>>;
    const inner = next;
    next = (host: HostInfo, isInitial: boolean): Promise<PhysicalConnection> =>
      plugin.connect(host, isInitial, inner);
  }
  return next;
}

/**
 * Compose the pipelines for `plugins` (already sorted, outer first). A plugin takes part in a
 * method's pipeline when it lists the method in `subscribes` and implements the hook.
 */
export function composePipelines(plugins: readonly Plugin[], driverConnect: ConnectNext): Pipelines {
  if (plugins.length === 0) return { connect: driverConnect, execute: NO_EXECUTE_PIPELINES };
  const execute: Partial<Record<NetworkMethod, ExecuteNext>> = {};
  // Methods with the same subscribers share one chain (the method travels as an argument).
  const chains = new Map<string, ExecuteNext>();
  for (const method of NETWORK_METHODS) {
    const subscribers = plugins.filter((p) => p.execute !== undefined && p.subscribes.includes(method));
    if (subscribers.length === 0) continue;
    const key = subscribers.map((p) => plugins.indexOf(p)).join(',');
    let chain = chains.get(key);
    if (chain === undefined) {
      chain = composeExecute(subscribers);
      chains.set(key, chain);
    }
    execute[method] = chain;
  }
  const connectSubscribers = plugins.filter(
    (p) => p.connect !== undefined && p.subscribes.includes('connect'),
  );
  return { connect: composeConnect(connectSubscribers, driverConnect), execute };
}
