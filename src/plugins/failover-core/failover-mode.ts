/**
 * Which failover a logical connection performs (`failoverMode`, ARCHITECTURE.md › Failover modes): the configured
 * mode, or by default `reader-or-writer` for a reader cluster endpoint and `strict-writer`
 * for everything else.
 */
import type { FailoverMode, ResolvedOptions } from '../../core/wrapper-options.js';
import type { RdsUrlType } from '../../topology/rds-url.js';

export function failoverModeOf(
  options: Pick<ResolvedOptions, 'failoverMode'>,
  urlType: RdsUrlType,
): FailoverMode {
  if (options.failoverMode !== undefined) return options.failoverMode;
  return urlType === 'reader-cluster' ? 'reader-or-writer' : 'strict-writer';
}
