/**
 * Issue 21 "Done means", OpenTelemetry: the real SDK (in-memory exporters) with
 * instrumentation-pg and instrumentation-mysql2 and aurora-ha's AuroraHaSpanProcessor,
 * registered by `node --import` in a child that runs the application against dist/ — the
 * CommonJS build (the instrumentations' require hooks) and the ESM build, with their ESM loader
 * hook registered by the same setup and without it (pg and mysql2 are CommonJS packages: the
 * require hooks patch them even under an ESM import); they do not attach under the test runner.
 * 10 workers run statements through aurora-ha/pg's Client and Pool (failover v2) or
 * aurora-ha/mysql2's connection and pool (failover v1) while the parent fails the writer over;
 * the child reports spans, metrics and what the application saw. Checked
 * (test/support/otel/otel-checks.ts):
 * - every user statement that succeeded yields exactly one driver span, before and after the
 *   failover, on the host the application's connection is on (server.address);
 * - aurora-ha's own queries (topology, role checks, dialect, monitor / writer-search probes) yield
 *   no driver span and no `mysql2:query` event (counted: must be 0);
 * - `aurora_ha.failover.count` by outcome equals the 'failover' events the application got;
 *   the duration histogram's count and sum match the `aurora_ha.failover` spans, each span lies
 *   within the failover the application measured;
 * - each failover span's parent is the user's span; one started by a failed statement links to
 *   exactly that statement's span (driver span, error status, the connection's old host, the
 *   same user span as parent); one found at idle loss links to nothing; the failover's own
 *   driver connect spans are its children, none sits directly under the user's statement;
 * - the other metrics are there; no `db.client.connection.*` from aurora-ha.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { useCluster } from '../support/cluster.js';
import {
  check,
  killChildren,
  ROOT,
  runChild,
  summary,
  type ModuleKind,
} from '../support/otel/otel-checks.js';

beforeAll(async () => {
  if (process.env.OTEL_TEST_SKIP_BUILD === '1') return;
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
}, 180_000);

afterAll(killChildren);

const MODULES: readonly ModuleKind[] = ['cjs', 'esm', 'esm-no-hook'];

for (const module of MODULES) {
  describe(`OpenTelemetry through a writer failover: PostgreSQL (failover2), ${module} build`, () => {
    const cluster = useCluster({ engine: 'postgres', instances: 2 });
    it('metrics and spans match what the application saw; the failover links its failed statement; our queries produce no span', async () => {
      const r = await runChild('postgres', cluster(), 'failover2', module);
      console.log(JSON.stringify({ engine: 'postgres', module, ...summary(r) }, null, 1));
      check(r, 'failover2');
    }, 120_000);
  });

  describe(`OpenTelemetry through a writer failover: MySQL (failover), ${module} build`, () => {
    const cluster = useCluster({ engine: 'mysql', instances: 2 });
    it('metrics and spans match what the application saw; the failover links its failed statement; our queries produce no span or mysql2:query event', async () => {
      const r = await runChild('mysql', cluster(), 'failover', module);
      console.log(JSON.stringify({ engine: 'mysql', module, ...summary(r) }, null, 1));
      check(r, 'failover');
    }, 120_000);
  });
}
