/**
 * Which cluster a connection belongs to, so that every connection of one cluster in the
 * process shares one topology monitor: the `clusterId` option when set; else the cluster id
 * of an RDS host name (`abc123` in `mydb.cluster-abc123.<region>.rds.amazonaws.com`, ARCHITECTURE.md › RDS host names and instance host patterns),
 * which the writer endpoint, the reader endpoint and every instance name of the cluster carry,
 * so all of them share one monitor whichever connects first (the same key as the topology
 * cache: two clusters sharing that id in one account and region need `clusterId`); else the
 * instance host pattern and port (an IP address / custom domain with a pattern); else the
 * host and port themselves.
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
  if (rds !== undefined) return `rds:${rds.dnsId}.${rds.domain}:${input.port}`.toLowerCase();
  if (input.pattern !== undefined) return `pattern:${input.pattern}#${input.port}`.toLowerCase();
  return `host:${input.host}:${input.port}`.toLowerCase();
}
