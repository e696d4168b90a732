/**
 * Idle loss on PostgreSQL for failover v1 and v2 (ARCHITECTURE.md › Idle loss): the call after a
 * socket lost while idle is not sent and rejects marked `statementSent: false`
 * (test/support/failover-idle-loss-suite.ts).
 */
import { describe } from 'vitest';
import { idleLossSuite } from '../support/failover-idle-loss-suite.js';

describe('idle loss on PostgreSQL', () => {
  idleLossSuite('postgres');
});
