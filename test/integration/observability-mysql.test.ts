/** Issue 21 on MySQL: test/support/observability-suite.ts with aurora-ha's mysql2/promise connection. */
import { describe } from 'vitest';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { observabilitySuite } from '../support/observability-suite.js';

describe('observability on MySQL', () => {
  observabilitySuite<PromiseConnection>({
    engine: 'mysql',
    make: (cluster, options) => new PromiseConnection({ ...mysqlConfig(cluster), ...options }),
    run: (c, sql) => c.query(sql),
  });
});
