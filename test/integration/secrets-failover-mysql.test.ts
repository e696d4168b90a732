/**
 * Secrets Manager credentials through a rotation and a writer failover on a real MariaDB
 * cluster with Aurora MySQL metadata (issue 22): the shared suite
 * (test/support/credentials-failover-suite.ts) with aurora-ha's mysql2/promise connection and
 * pool, the `secretsManager` plugin and the real `@aws-sdk/client-secrets-manager` against the
 * cluster's emulated Secrets Manager.
 */
import { describe } from 'vitest';
import { mysqlCredEngine, secretsFailoverSuite } from '../support/credentials-failover-suite.js';

describe('secretsManager plugin through a rotation and a failover (MySQL)', () => {
  secretsFailoverSuite(mysqlCredEngine);
});
