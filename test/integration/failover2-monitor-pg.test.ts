/**
 * Failover v2's monitor on PostgreSQL without a topology (late read, probing the initial host) and
 * on a dead cluster (no search nobody waits for, attempts slowing down): test/support/failover2-monitor-suite.ts.
 */
import { describe } from 'vitest';
import { failover2MonitorSuite } from '../support/failover2-monitor-suite.js';

describe('failover2 monitor without topology / on a dead cluster, PostgreSQL', () => {
  failover2MonitorSuite('postgres');
});
