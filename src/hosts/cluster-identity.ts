/**
 * Which cluster a connection belongs to, so that every connection of one cluster in the
 * process shares one topology monitor: the `clusterId` option when set; else the cluster
 * named by an RDS writer/reader cluster endpoint; else the instance host pattern and port
 * (instance names of one cluster, or an IP address / custom domain with a pattern); else
 * the host and port themselves. The monitor registry also lets an instance name join the
 * monitor whose topology already lists it (see topology-monitors.ts).
 */
import { parseRdsHost } from './rds-url.js';

export interface IdentityInput {
  /** The `clusterId` option. */
  readonly clusterId: string | undefined;
  readonly host: string;
  readonly port: number;
  /** The instance host pattern in use (explicit or derived), formatted. */
  readonly pattern: string | undefined;
}

export function clusterIdentity(input: IdentityInput): string {
  if (input.clusterId !== undefined) return `cluster:${input.clusterId}`;
  const rds = parseRdsHost(input.host);
  if (rds !== undefined && (rds.type === 'writer-cluster' || rds.type === 'reader-cluster')) {
    return `rds:${rds.name}.${rds.dnsId}.${rds.domain}:${input.port}`.toLowerCase();
  }
  if (input.pattern !== undefined) return `pattern:${input.pattern}#${input.port}`.toLowerCase();
  return `host:${input.host}:${input.port}`.toLowerCase();
}
