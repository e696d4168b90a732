/** Issue 21 on MySQL: test/support/observability-coverage-suite.ts (reader modes, a failed failover, connect purposes, host monitoring, instance names). */
import { describe } from 'vitest';
import { mysqlOps } from '../support/observability-capture.js';
import { observabilityCoverageSuite } from '../support/observability-coverage-suite.js';

describe('observability coverage on MySQL', () => {
  observabilityCoverageSuite(mysqlOps);
});
