/**
 * IAM database authentication through a writer failover on a real MariaDB cluster with Aurora
 * MySQL metadata (issue 22): the shared suite (test/support/credentials-failover-suite.ts) with
 * aurora-ha's mysql2/promise connection and pool, the `iam` plugin and the real `@aws-sdk/rds-signer`.
 */
import { describe } from 'vitest';
import { iamFailoverSuite, mysqlCredEngine } from '../support/credentials-failover-suite.js';

describe('iam plugin through a failover (MySQL)', () => {
  iamFailoverSuite(mysqlCredEngine);
});
