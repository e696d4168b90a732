/** Issue 21 on MySQL: test/support/observability-suite.ts with aurora-ha's mysql2/promise connection. */
import { describe } from 'vitest';
import { mysqlOps } from '../support/observability-capture.js';
import { observabilitySuite } from '../support/observability-suite.js';

describe('observability on MySQL', () => {
  observabilitySuite(mysqlOps);
});
