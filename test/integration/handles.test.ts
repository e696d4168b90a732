/**
 * `end()` leaves no handle behind: a child `node` process (TypeScript through tsx) connects
 * through aurora-ha, queries, ends, and must then exit by itself within a few seconds, with
 * the default plugins (Aurora dialect, topology, failover) and with `plugins: []`, for pg,
 * mysql2 and mysql2/promise, and after a failed connect.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { useCluster } from '../support/cluster.js';

const pgCluster = useCluster({ engine: 'postgres', instances: 2 });
const mysqlCluster = useCluster({ engine: 'mysql', instances: 1 });

const SRC = resolve(import.meta.dirname, '../../src');
const dir = mkdtempSync(join(tmpdir(), 'aurora-ha-handles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Longest a child may live after printing `ended` (its event loop must be empty by then). */
const EXIT_WITHIN_MS = 3000;

/** Options for a child process: it cannot resolve the emulator's names, so connect to the writer's address. */
function childConfig(cluster: EmulatedCluster, extra: Record<string, unknown>): Record<string, unknown> {
  const writer = cluster.instances().find((i) => i.role === 'writer');
  if (writer === undefined) throw new Error('no writer');
  return {
    host: writer.address,
    port: writer.port,
    ...cluster.credentials,
    clusterInstanceHostPattern: `${cluster.instanceHostPattern}:${writer.port}`,
    ...extra,
  };
}

interface ChildRun {
  code: number | null;
  output: string;
  /** ms between the child printing `ended` and its exit. */
  exitAfterEndMs: number | undefined;
}

function runChild(name: string, body: string): Promise<ChildRun> {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, body);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let endedAt: number | undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    killer.unref();
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (endedAt === undefined && output.includes('ended')) endedAt = Date.now();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolveRun({ code, output, exitAfterEndMs: endedAt === undefined ? undefined : Date.now() - endedAt });
    });
  });
}

function expectCleanExit(run: ChildRun): void {
  expect(run.output).toContain('ended');
  expect(run.code, run.output).toBe(0);
  expect(run.exitAfterEndMs).toBeLessThan(EXIT_WITHIN_MS);
}

describe('no handle is left after end()', () => {
  it.each([
    ['default plugins', {}],
    ['plugins: []', { plugins: [] }],
  ])('pg Client with %s', async (label, extra) => {
    const config = JSON.stringify(childConfig(pgCluster(), extra));
    const run = await runChild(
      `pg-${label.replace(/\W/g, '')}`,
      `import { Client } from ${JSON.stringify(`${SRC}/pg.ts`)};
const c = new Client(${config});
await c.connect();
const r = await c.query('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
console.log('instance', r.rows[0].id);
await c.end();
console.log('ended');
`,
    );
    expectCleanExit(run);
    expect(run.output).toMatch(/instance instance-\d/);
  });

  it('pg Client after a failed connect', async () => {
    const config = JSON.stringify(childConfig(pgCluster(), { password: 'wrong-password' }));
    const run = await runChild(
      'pg-failed',
      `import { Client } from ${JSON.stringify(`${SRC}/pg.ts`)};
const c = new Client(${config});
try { await c.connect(); } catch (e) { console.log('refused', e.code); }
console.log('ended');
`,
    );
    expectCleanExit(run);
    expect(run.output).toContain('refused 28P01');
  });

  it('mysql2 callback connection with default plugins', async () => {
    const config = JSON.stringify(childConfig(mysqlCluster(), {}));
    const run = await runChild(
      'mysql2-callback',
      `import mysql from ${JSON.stringify(`${SRC}/mysql2.ts`)};
const c = mysql.createConnection(${config});
c.query('SELECT 1 AS one', (err, rows) => {
  console.log('rows', JSON.stringify(rows), err?.message ?? '');
  c.end(() => console.log('ended'));
});
`,
    );
    expectCleanExit(run);
    expect(run.output).toContain('rows [{"one":1}]');
  });

  it('mysql2/promise connection with default plugins', async () => {
    const config = JSON.stringify(childConfig(mysqlCluster(), {}));
    const run = await runChild(
      'mysql2-promise',
      `import { createConnection } from ${JSON.stringify(`${SRC}/mysql2-promise.ts`)};
const c = await createConnection(${config});
const [rows] = await c.query('SELECT 2 AS two');
console.log('rows', JSON.stringify(rows));
await c.end();
console.log('ended');
`,
    );
    expectCleanExit(run);
    expect(run.output).toContain('rows [{"two":2}]');
  });
});
