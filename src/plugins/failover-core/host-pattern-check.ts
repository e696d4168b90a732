/**
 * Fail fast when instance host names cannot be built: the user connected through an IP
 * address or a custom domain to a cluster whose topology lists bare instance ids (Aurora),
 * without `clusterInstanceHostPattern` (ARCHITECTURE.md › RDS host names and instance host patterns). Without this check the
 * failover would try host names that do not exist until `failoverTimeoutMs`.
 */
import { ConfigurationError } from '../../core/errors.js';
import type { PluginService } from '../../connection/plugin.js';
import type { Dialect } from '../../dialects/dialect.js';

/** Flavours whose topology rows carry no endpoint (Multi-AZ rows do; replica clusters use `hosts`). */

export function hostPatternProblem(
  service: PluginService,
  dialect: Dialect | undefined,
): ConfigurationError | undefined {
  const type = service.initialUrlType;
  if (type !== 'ip-address' && type !== 'other') return undefined;
  const options = service.config.options;
  if (options.clusterInstanceHostPattern !== undefined || options.hosts !== undefined) return undefined;
  if (dialect === undefined || !dialect.topologyAware || !dialect.needsInstancePattern) return undefined;
  const where = type === 'ip-address' ? 'an IP address' : 'a custom domain';
  return new ConfigurationError(
    'clusterInstanceHostPattern',
    `Option clusterInstanceHostPattern is required for failover when connecting to ${dialect.name} through ${where} ` +
      `(${service.initialHost.host}): set it to the instance host pattern, e.g. "?.abc123.us-east-1.rds.amazonaws.com" ` +
      `or "?.my-domain.com:5432", or set enableFailover: false.`,
  );
}
