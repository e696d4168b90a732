// Entry point of `aurora-ha`: errors, option types and the plugin API.
export * from './core/errors.js';
export type * from './config/wrapper-options.js';
export type * from './core/plugin.js';
export { NETWORK_METHODS } from './core/plugin.js';
export { KNOWN_PLUGINS } from './core/plugin-registry.js';
export type { KnownPlugin } from './core/plugin-registry.js';
export type * from './drivers/driver.js';
export type * from './dialects/dialect.js';
export type * from './hosts/host-info.js';
export { DEFAULT_WEIGHT, hostKey, makeHost, withAvailability, withRole } from './hosts/host-info.js';
export type * from './hosts/host-list-provider.js';
export type { RdsUrlType } from './hosts/rds-url.js';
export type { FailoverEvent } from './core/failover-event.js';
export {
  findFailoverError,
  isFailoverError,
  isRecoveredFailover,
  MAX_WRAPPER_DEPTH,
  WRAPPED_ERROR_KEYS,
} from './core/failover-error-lookup.js';
