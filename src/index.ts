// Entry point of `aurora-ha`: errors, option types and the plugin API.
import './otel/install.js';
export * from './core/errors.js';
export { CredentialsUnavailableError } from './connection/credentials-aws.js';
export type {
  CredentialRequest,
  CredentialSource,
  Credentials,
  LoginRetryPolicy,
} from './connection/credentials.js';
export type * from './core/wrapper-options.js';
export type * from './connection/plugin.js';
export { NETWORK_METHODS } from './connection/plugin.js';
export { KNOWN_PLUGINS } from './plugins/registry.js';
export type { KnownPlugin } from './plugins/registry.js';
export type * from './drivers/driver.js';
export type * from './dialects/dialect.js';
export type * from './drivers/host-info.js';
export { DEFAULT_WEIGHT, hostKey, makeHost, withAvailability, withRole } from './drivers/host-info.js';
export type * from './topology/host-list-provider.js';
export type { RdsUrlType } from './topology/rds-url.js';
export type { FailoverEvent } from './connection/failover-event.js';
export {
  findFailoverError,
  isFailoverError,
  isRecoveredFailover,
  MAX_WRAPPER_DEPTH,
  WRAPPED_ERROR_KEYS,
} from './core/failover-error-lookup.js';
export { FAILOVER_CHANNEL, CONNECT_CHANNEL, TOPOLOGY_CHANNEL, MONITOR_CHANNEL } from './observe/channels.js';
export type {
  ConnectMessage,
  ConnectPurpose,
  FailoverMessage,
  FailoverOutcome,
  FailoverPhase,
  FailoverPhaseName,
  FailoverTrigger,
  MonitorMessage,
  TopologyMessage,
} from './observe/channels.js';
export { AuroraHaSpanProcessor } from './otel/span-processor.js';
export { getClusterStatus } from './topology/cluster-status.js';
export type { ClusterStatus, ClusterStatusTarget, InstanceStatus } from './topology/cluster-status.js';
