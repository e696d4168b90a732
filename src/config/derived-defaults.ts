/**
 * Defaults that depend on the host the user connects to (DESIGN §2): the failover mode
 * (`reader-or-writer` for a reader cluster endpoint, else `strict-writer`) and the instance host
 * pattern (given, or derived from an RDS host name; undefined for IPs and custom domains).
 */

import { instanceHostPatternOf, classifyHost } from '../topology/rds-url.js';
import type { FailoverMode, ResolvedOptions } from '../core/wrapper-options.js';

export function defaultFailoverMode(host: string): FailoverMode {
  return classifyHost(host) === 'reader-cluster' ? 'reader-or-writer' : 'strict-writer';
}

export function effectiveFailoverMode(
  options: Pick<ResolvedOptions, 'failoverMode'>,
  host: string,
): FailoverMode {
  return options.failoverMode ?? defaultFailoverMode(host);
}

/** The given `clusterInstanceHostPattern`, else one derived from an RDS host name, else undefined. */
export function effectiveHostPattern(
  options: Pick<ResolvedOptions, 'clusterInstanceHostPattern'>,
  host: string,
): string | undefined {
  return options.clusterInstanceHostPattern ?? instanceHostPatternOf(host);
}
