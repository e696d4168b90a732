/**
 * failoverTimeoutMs bounds the whole failover on MySQL, failover v1 and v2
 * (test/support/failover-bounds-suite.ts).
 */
import { describe } from 'vitest';
import { failoverBoundsSuite } from '../support/failover-bounds-suite.js';

describe('failoverTimeoutMs bounds the failover on MySQL', () => {
  failoverBoundsSuite('mysql');
});
