/** Issue 21 on PostgreSQL: test/support/observability-suite.ts with aurora-ha's pg Client. */
import { describe } from 'vitest';
import { pgOps } from '../support/observability-capture.js';
import { observabilitySuite } from '../support/observability-suite.js';

describe('observability on PostgreSQL', () => {
  observabilitySuite(pgOps);
});
