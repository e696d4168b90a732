/**
 * failoverTimeoutMs bounds the whole failover on PostgreSQL, failover v1 and v2
 * (test/support/failover-bounds-suite.ts).
 */
import { describe } from 'vitest';
import { failoverBoundsSuite } from '../support/failover-bounds-suite.js';

describe('failoverTimeoutMs bounds the failover on PostgreSQL', () => {
  failoverBoundsSuite('postgres');
});
