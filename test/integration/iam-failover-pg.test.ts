/**
 * IAM database authentication through a writer failover on a real PostgreSQL cluster (issue
 * 22): the shared suite (test/support/credentials-failover-suite.ts) with aurora-ha's pg
 * Client and Pool, the `iam` plugin and the real `@aws-sdk/rds-signer`.
 */
import { describe } from 'vitest';
import { iamFailoverSuite, pgCredEngine } from '../support/credentials-failover-suite.js';

describe('iam plugin through a failover (PostgreSQL)', () => {
  iamFailoverSuite(pgCredEngine);
});
