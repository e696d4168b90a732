/** Issue 21 on PostgreSQL: test/support/observability-suite.ts with aurora-ha's pg Client. */
import { describe } from 'vitest';
import { Client } from '../../src/pg.js';
import { pgConfig } from '../support/cluster.js';
import { observabilitySuite } from '../support/observability-suite.js';

describe('observability on PostgreSQL', () => {
  observabilitySuite<Client>({
    engine: 'postgres',
    make: (cluster, options) => new Client({ ...pgConfig(cluster), ...options }),
    run: (c, sql) => c.query(sql),
  });
});
