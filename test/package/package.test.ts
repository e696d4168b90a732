/**
 * The package a user installs: `npm pack` (which builds first, through `prepack`), install the
 * tarball with pg and mysql2 into a fresh project, then from that project import every subpath as
 * ESM and require it as CommonJS, compile a TypeScript consumer against the shipped types under
 * `moduleResolution` node16 and bundler, and run the bin. Catches a file missing from `files`, a
 * wrong `exports` entry, types that do not resolve and a bin without its shebang. A second project
 * installs the oldest pg (with the oldest pg-pool it allows) and mysql2 that the peer ranges
 * accept and runs a connect + query through each facade against emulated clusters: a range that
 * promises a driver version aurora-ha cannot drive fails here. In both projects, each driver also
 * runs `driver-smoke.mjs`: a writer failover through aurora-ha's pool (`Pool`, `createPool`) with
 * the documented outcome. The Node that runs this file runs every child (tools/version-matrix/
 * runs it with Node 22, 24 and 26).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const SUBPATHS = [
  'aurora-ha',
  'aurora-ha/pg',
  'aurora-ha/mysql2',
  'aurora-ha/mysql2/promise',
  'aurora-ha/emulator',
];

/** A named export each subpath must have at run time. */
const MARKERS: Record<string, string> = {
  'aurora-ha': 'FailoverSuccessError',
  'aurora-ha/pg': 'Client',
  'aurora-ha/mysql2': 'createConnection',
  'aurora-ha/mysql2/promise': 'createConnection',
  'aurora-ha/emulator': 'startCluster',
};

const CHECK_SCRIPT = (kind: 'esm' | 'cjs'): string => `
const markers = ${JSON.stringify(MARKERS)};
${kind === 'esm' ? 'const load = (s) => import(s);' : 'const load = async (s) => require(s);'}
(async () => {
  const out = {};
  for (const [spec, name] of Object.entries(markers)) {
    const mod = await load(spec);
    out[spec] = typeof mod[name];
  }
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

const CONSUMER = `
import { FailoverSuccessError, TransactionResolutionUnknownError, FailoverFailedError } from 'aurora-ha';
import type { WrapperOptions } from 'aurora-ha';
import { Client } from 'aurora-ha/pg';
import mysql from 'aurora-ha/mysql2';
import mysqlPromise from 'aurora-ha/mysql2/promise';
import { startCluster, type EmulatedCluster } from 'aurora-ha/emulator';

const options: WrapperOptions = { plugins: ['failover'], failoverTimeoutMs: 60_000 };
export async function main(cluster: EmulatedCluster): Promise<number> {
  const client = new Client({ ...cluster.writerEndpoint, ...cluster.credentials, ...options });
  await client.connect();
  try {
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    return result.rows[0]?.one ?? 0;
  } catch (err) {
    if (err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError) return -1;
    if (err instanceof FailoverFailedError) return -2;
    throw err;
  } finally {
    await client.end();
  }
}
export const kinds = [typeof mysql.createConnection, typeof mysqlPromise.createConnection, typeof startCluster];
`;

function tsconfig(moduleKind: string, resolution: string): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: moduleKind,
      moduleResolution: resolution,
      types: ['node'],
      skipLibCheck: false,
    },
    files: ['consumer.ts'],
  });
}

async function versionOf(pkg: string): Promise<string> {
  const json = JSON.parse(await readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  return json.version;
}

/** The tarball, packed once for every project below. */
let packDir = '';
let tarballPath = '';
let packed: string[] = [];

beforeAll(async () => {
  // tools/version-matrix/ packs once and runs this file with several Nodes: the tarball a user
  // installs is the same whichever Node runs it.
  const prebuilt = process.env.AURORA_HA_PACKED_TARBALL;
  if (prebuilt) {
    const { stdout } = await exec('tar', ['-tzf', prebuilt], { maxBuffer: 16 * 1024 * 1024 });
    packed = stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    tarballPath = prebuilt;
    return;
  }
  packDir = await mkdtemp(path.join(tmpdir(), 'aurora-ha-tarball-'));
  // Build as `prepack` would, then pack without scripts so that stdout is npm's JSON alone
  // (the build's own output changes with the environment, e.g. CI=true).
  await exec('npm', ['run', 'build'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await exec(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const info = JSON.parse(stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = info[0]!;
  packed = tarball.files.map((f) => f.path);
  tarballPath = path.join(packDir, tarball.filename);
}, 240_000);

afterAll(async () => {
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

/** A fresh project with the tarball and `deps` installed (`overrides` as npm's field). */
async function installProject(
  prefix: string,
  deps: readonly string[],
  overrides: Record<string, string> = {},
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, overrides }),
  );
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballPath, ...deps], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return dir;
}

/** What `driver-smoke.mjs` prints when every step went as documented. */
function smokeExpected(driver: 'pg' | 'mysql2', versions: Record<string, string>): Record<string, unknown> {
  return {
    driver,
    query: 1,
    onWriter: true,
    newWriter: true,
    inFlight: 'FailoverSuccessError',
    heldMoved: true,
    poolMoved: true,
    write: 42,
    // Both pooled connections kept across the failover: none dropped, none opened.
    connections: 2,
    poolErrors: [],
    versions,
    node: process.version,
  };
}

/**
 * Runs the failover smoke for `driver` in `project` and returns its JSON line. Bound: two cluster
 * starts and stops and one failover (seconds each on an idle machine, tens under load) and the
 * 30 s failover budget the script sets.
 */
async function smoke(project: string, driver: 'pg' | 'mysql2'): Promise<unknown> {
  await copyFile(path.join(import.meta.dirname, 'driver-smoke.mjs'), path.join(project, 'driver-smoke.mjs'));
  const { stdout } = await exec(
    process.execPath,
    ['--unhandled-rejections=strict', 'driver-smoke.mjs', driver],
    {
      cwd: project,
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}');
}

describe('the packed package, installed into a fresh project', () => {
  let project = '';

  beforeAll(async () => {
    // Same versions as this repo's lockfile, so the npm cache filled by `npm ci` answers (pg-pool
    // too: the smoke below expects the lockfile's).
    const deps = await Promise.all(
      ['pg', 'pg-pool', 'mysql2', 'typescript', '@types/node', '@types/pg'].map(
        async (p) => `${p}@${await versionOf(p)}`,
      ),
    );
    project = await installProject('aurora-ha-pack-', deps);
  }, 240_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('ships the built entry points, their types, the bin and the docs', () => {
    for (const entry of ['index', 'pg', 'mysql2', 'mysql2-promise', 'emulator']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(packed).toContain(`dist/${entry}.${ext}`);
    }
    expect(packed).toContain('dist/cli/aurora-ha.cjs');
    expect(packed).toContain('README.md');
    expect(packed).toContain('docs/failover.md');
  });

  it('imports every subpath as ESM', async () => {
    await writeFile(path.join(project, 'check.mjs'), CHECK_SCRIPT('esm'));
    const { stdout } = await exec(process.execPath, ['check.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual(Object.fromEntries(SUBPATHS.map((s) => [s, 'function'])));
  });

  it('requires every subpath as CommonJS', async () => {
    await writeFile(path.join(project, 'check.cjs'), CHECK_SCRIPT('cjs'));
    const { stdout } = await exec(process.execPath, ['check.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual(Object.fromEntries(SUBPATHS.map((s) => [s, 'function'])));
  });

  it.each([
    ['node16', 'node16', 'node16'],
    ['bundler', 'preserve', 'bundler'],
  ])(
    'compiles a TypeScript consumer under moduleResolution %s',
    async (name, moduleKind, resolution) => {
      await writeFile(path.join(project, 'consumer.ts'), CONSUMER);
      await writeFile(path.join(project, `tsconfig.${name}.json`), tsconfig(moduleKind, resolution));
      const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await exec(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], {
        cwd: project,
      }).then(
        () => 'ok',
        (err: { stdout?: string; message?: string }) => err.stdout ?? err.message ?? 'tsc failed',
      );
      expect(result).toBe('ok');
      // A cold tsc over @types/node takes ~10 s alone; on a loaded 2-core runner far longer.
    },
    240_000,
  );

  it.each(['pg', 'mysql2'] as const)(
    'fails over the writer through the %s pool with the lockfile driver',
    async (driver) => {
      const versions: Record<string, string> =
        driver === 'pg'
          ? { pg: await versionOf('pg'), 'pg-pool': await versionOf('pg-pool') }
          : { mysql2: await versionOf('mysql2') };
      expect(await smoke(project, driver)).toEqual(smokeExpected(driver, versions));
    },
    240_000,
  );

  it('runs the bin through npx', async () => {
    const { stdout } = await exec('npx', ['--no-install', 'aurora-ha', 'emulator', '--help'], {
      cwd: project,
    });
    expect(stdout).toMatch(/^usage: aurora-ha emulator/);
  });
});

/**
 * Run in a project with the oldest drivers: a connect + query through each facade against an
 * emulated PostgreSQL and MySQL cluster, printing each outcome (a number, or the error's name
 * and message) and the driver versions installed.
 */
const OLDEST_DRIVERS_SCRIPT = `
import { createRequire } from 'node:module';
import { startCluster } from 'aurora-ha/emulator';
import { Client, Pool } from 'aurora-ha/pg';
import mysql from 'aurora-ha/mysql2';
import mysqlPromise from 'aurora-ha/mysql2/promise';

const out = {};
const run = async (name, f) => {
  try { out[name] = await f(); } catch (err) { out[name] = String(err?.name) + ': ' + String(err?.message); }
};
const started = await Promise.allSettled([
  startCluster({ engine: 'postgres', instances: 1 }),
  startCluster({ engine: 'mysql', instances: 1 }),
]);
try {
  const [pgCluster, myCluster] = started.map((s) => { if (s.status === 'rejected') throw s.reason; return s.value; });
  const pgConfig = { ...pgCluster.writerEndpoint, ...pgCluster.credentials };
  const myConfig = { ...myCluster.writerEndpoint, ...myCluster.credentials };
  await run('pg Client', async () => {
    const client = new Client(pgConfig);
    await client.connect();
    try { return (await client.query('SELECT 1 AS one')).rows[0].one; } finally { await client.end(); }
  });
  await run('pg Pool', async () => {
    const pool = new Pool({ ...pgConfig, max: 2 });
    try {
      const viaPool = (await pool.query('SELECT 1 AS one')).rows[0].one;
      const client = await pool.connect();
      try { return viaPool + (await client.query('SELECT 1 AS one')).rows[0].one; } finally { client.release(); }
    } finally { await pool.end(); }
  });
  await run('mysql2 createConnection', () => new Promise((resolve, reject) => {
    const conn = mysql.createConnection(myConfig);
    conn.query('SELECT 1 AS one', (err, rows) => {
      conn.end(() => (err ? reject(err) : resolve(rows[0].one)));
    });
  }));
  await run('mysql2/promise createPool', async () => {
    const pool = mysqlPromise.createPool({ ...myConfig, connectionLimit: 2 });
    try { const [rows] = await pool.query('SELECT 1 AS one'); return rows[0].one; } finally { await pool.end(); }
  });
} finally {
  await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
}
const require = createRequire(import.meta.url);
const versionOf = (p) => require(require.resolve(p).replace(/(node_modules\\/[^/]+)\\/.*$/, '$1/package.json')).version;
out.versions = { pg: versionOf('pg'), 'pg-pool': versionOf('pg-pool'), mysql2: versionOf('mysql2') };
console.log(JSON.stringify(out));
`;

/** The oldest version a caret range of package.json's peerDependencies allows. */
async function oldestPeer(pkg: string): Promise<string> {
  const json = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  const range = json.peerDependencies[pkg] ?? '';
  expect(range, `peerDependencies.${pkg}`).toMatch(/^\^\d+\.\d+\.\d+$/);
  return range.slice(1);
}

describe('the packed package with the oldest pg and mysql2 its peer ranges allow', () => {
  let project = '';
  let expected: Record<string, string> = {};

  beforeAll(async () => {
    const pg = await oldestPeer('pg');
    const mysql2 = await oldestPeer('mysql2');
    // pg's own range for pg-pool, from the registry (cached after the first run); its lowest
    // version is what a user who pins pg and has an old lockfile can get.
    const { stdout } = await exec('npm', ['view', '--prefer-offline', `pg@${pg}`, 'dependencies.pg-pool']);
    const pgPool = stdout.trim().replace(/^\^/, '');
    expect(pgPool).toMatch(/^\d+\.\d+\.\d+$/);
    expected = { pg, 'pg-pool': pgPool, mysql2 };
    project = await installProject('aurora-ha-oldest-', [`pg@${pg}`, `mysql2@${mysql2}`], {
      'pg-pool': pgPool,
    });
  }, 240_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('connects and queries through pg Client and Pool and mysql2 createConnection and createPool', async () => {
    await writeFile(path.join(project, 'oldest.mjs'), OLDEST_DRIVERS_SCRIPT);
    const { stdout } = await exec(process.execPath, ['oldest.mjs'], {
      cwd: project,
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1] ?? '{}')).toEqual({
      'pg Client': 1,
      'pg Pool': 2,
      'mysql2 createConnection': 1,
      'mysql2/promise createPool': 1,
      versions: expected,
    });
  }, 240_000);

  it.each(['pg', 'mysql2'] as const)(
    'fails over the writer through the %s pool with the oldest driver',
    async (driver) => {
      const versions: Record<string, string> =
        driver === 'pg'
          ? { pg: expected.pg!, 'pg-pool': expected['pg-pool']! }
          : { mysql2: expected.mysql2! };
      expect(await smoke(project, driver)).toEqual(smokeExpected(driver, versions));
    },
    240_000,
  );
});
