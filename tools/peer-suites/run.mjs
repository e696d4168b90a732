// npm run peers : runs node-postgres' and mysql2's own integration suites against this checkout of
// aurora-ha and reports how many tests that pass with the raw driver also pass through aurora-ha.
// Documentation: docs/peer-suites.md. Not part of `npm test` or CI (needs the peers' repositories and
// both databases, and takes most of an hour).
//   PG_REPO=<git dir> MYSQL2_REPO=<git dir> npm run peers
// Options (environment): SUITE=pg|mysql2|all  MODES="raw none default" (+ raw-strict, pg only)
//   SAMPLE=N (mysql2: every N-th file; default 1 = all)  ONLY=<regex on test/integration/... paths>
//   FILE_TIMEOUT_S=N (default: pg 45; mysql2 30 raw, 15 aurora-ha)  PEERS_DIR (default $TMPDIR/aurora-ha-peers)
//   SUITE_SKIP=<regex> (pg: skip matching test names)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { scriptCli } from '../lib/script-cli.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// the aurora-ha checkout this file belongs to (tools/peer-suites/ -> the repository root)
const AH_DIR = fs.realpathSync(path.resolve(HERE, '..', '..'));
const { ahEntry, ENTRIES } = createRequire(import.meta.url)('./lib/ah-entry.cjs');

const { say, fail } = scriptCli('peer-suites', import.meta.url);

// --- options ---
const env = process.env;
const SUITE = env.SUITE || 'all';
const MODES = (env.MODES || 'raw none default').split(/\s+/).filter(Boolean);
const SAMPLE = env.SAMPLE || '1';
const ONLY = env.ONLY || '';
const FILE_TIMEOUT_S = env.FILE_TIMEOUT_S || '';
const PEERS_DIR_OPT = env.PEERS_DIR || path.join(env.TMPDIR || os.tmpdir(), 'aurora-ha-peers');

const SUITES = { all: ['pg', 'mysql2'], pg: ['pg'], mysql2: ['mysql2'] }[SUITE];
if (!SUITES) fail(`SUITE must be pg, mysql2 or all (got '${SUITE}')`);
for (const m of MODES)
  if (!['raw', 'none', 'default', 'raw-strict'].includes(m))
    fail(`unknown mode '${m}' in MODES (raw, none, default, raw-strict)`);
if (!MODES.length) fail('MODES is empty');
if (!/^[1-9][0-9]*$/.test(SAMPLE)) fail(`SAMPLE must be a positive integer (got '${SAMPLE}')`);
if (FILE_TIMEOUT_S && !/^[1-9][0-9]*$/.test(FILE_TIMEOUT_S))
  fail('FILE_TIMEOUT_S must be a positive integer');
for (const [name, re] of [
  ['ONLY', ONLY],
  ['SUITE_SKIP', env.SUITE_SKIP || ''],
]) {
  try {
    new RegExp(re);
  } catch {
    fail(`${name} is not a valid regular expression: ${re}`);
  }
}
const [major, minor] = process.versions.node.split('.').map(Number);
if (!(major > 20 || (major === 20 && minor >= 6)))
  fail(`needs Node >= 20.6 (module.register), found ${process.version}`);

// runs `node <script> ...` with the harness' environment; exits with its status if it fails
const harnessEnv = {};
const node = (script, scriptArgs = [], exitOnFailure = true) => {
  const r = spawnSync(process.execPath, [path.join(HERE, script), ...scriptArgs], {
    stdio: 'inherit',
    env: { ...env, ...harnessEnv },
  });
  if (r.status !== 0 && exitOnFailure) process.exit(r.status ?? 1);
  return r.status;
};
// runs a command in cwd with inherited output; false if it fails
const sh = (cmd, cmdArgs, cwd, extra = {}) =>
  spawnSync(cmd, cmdArgs, { cwd, stdio: 'inherit', ...extra }).status === 0;

// --- servers (port check now, a real query once the peers' drivers are installed) ---
node('lib/check-servers.mjs', ['--tcp', ...SUITES]);

// --- peer repositories: cloned once into PEERS_DIR, then reused ---
fs.mkdirSync(PEERS_DIR_OPT, { recursive: true });
const PEERS_DIR = fs.realpathSync(PEERS_DIR_OPT);
const PEERS = {
  pg: { variable: 'PG_REPO', dir: 'node-postgres', slug: 'brianc/node-postgres' },
  mysql2: { variable: 'MYSQL2_REPO', dir: 'node-mysql2', slug: 'sidorares/node-mysql2' },
};
const isGitDir = (dir) =>
  spawnSync('git', ['-C', dir, 'rev-parse', '--git-dir'], { stdio: 'ignore' }).status === 0;
const missing = [];
for (const s of SUITES) {
  const { variable, dir, slug } = PEERS[s];
  const dest = path.join(PEERS_DIR, dir);
  if (fs.existsSync(path.join(dest, '.git'))) continue;
  const src = env[variable];
  if (!src || !isGitDir(src)) {
    missing.push(`${variable}=<git repository of ${slug}>`);
    continue;
  }
  say(`cloning ${slug} from ${src} into ${dest} (once)`);
  fs.rmSync(dest + '.partial', { recursive: true, force: true });
  if (!sh('git', ['clone', '-q', src, dest + '.partial'], PEERS_DIR)) fail(`git clone of ${src} failed`, 1);
  fs.renameSync(dest + '.partial', dest);
}
if (missing.length)
  fail(
    `set ${missing.join(' and ')} (a bare git dir or a checkout of brianc/node-postgres / sidorares/node-mysql2); each is cloned once into ${PEERS_DIR}`,
  );
const PG_CHECKOUT = path.join(PEERS_DIR, 'node-postgres', 'packages', 'pg');
const M2_CHECKOUT = path.join(PEERS_DIR, 'node-mysql2');

// --- build aurora-ha if an entry point the harness loads is missing or older than src/ ---
if (!fs.existsSync(path.join(AH_DIR, 'node_modules')))
  fail(`aurora-ha has no node_modules: run npm ci (or npm install) in ${AH_DIR} first`);
const newestMtime = (dir) => {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.isFile() ? fs.statSync(p).mtimeMs : 0);
  }
  return newest;
};
const srcMtime = newestMtime(path.join(AH_DIR, 'src'));
const needsBuild = ENTRIES.some(([subpath, kind]) => {
  const f = ahEntry(AH_DIR, subpath, kind);
  return !fs.existsSync(f) || fs.statSync(f).mtimeMs < srcMtime;
});
if (needsBuild) {
  const log = path.join(PEERS_DIR, 'build.log');
  say(`building aurora-ha (npm run build; log in ${log})`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: AH_DIR, encoding: 'utf8' });
  fs.writeFileSync(log, (r.stdout || '') + (r.stderr || ''));
  if (r.status !== 0) {
    console.error(fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n'));
    fail('npm run build failed', 1);
  }
}

// --- the peers' test dependencies (from npm, once) ---
const npmQuiet = ['--no-audit', '--no-fund', '--loglevel=error'];
for (const s of SUITES) {
  if (s === 'pg') {
    const root = path.join(PEERS_DIR, 'node-postgres');
    const marker = path.join(root, 'node_modules', '.peer-suites-ok');
    if (fs.existsSync(marker)) continue;
    // only what packages/pg and its integration tests need (the monorepo's own dev dependencies pull
    // wrangler etc.); pg-protocol is TypeScript in the monorepo (needs a build), so the published one
    say("installing node-postgres' test dependencies from npm (once)");
    const pkg = JSON.parse(fs.readFileSync(path.join(PG_CHECKOUT, 'package.json'), 'utf8'));
    const versions = { ...pkg.devDependencies, ...pkg.dependencies };
    const specs = ['pg-protocol', 'pg-types', 'pgpass', 'async', 'bluebird', 'co', 'pg-copy-streams'].map(
      (n) => (versions[n] ? `${n}@${versions[n]}` : n),
    );
    const deps = path.join(PEERS_DIR, 'pg-deps');
    fs.rmSync(deps, { recursive: true, force: true });
    fs.mkdirSync(deps, { recursive: true });
    fs.writeFileSync(path.join(deps, 'package.json'), '{"name":"pg-test-deps","private":true}\n');
    if (!sh('npm', ['install', ...npmQuiet, ...specs], deps))
      fail('npm install of the pg test dependencies failed', 1);
    fs.mkdirSync(path.join(root, 'node_modules'), { recursive: true });
    fs.cpSync(path.join(deps, 'node_modules'), path.join(root, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const p of ['pg', 'pg-pool', 'pg-connection-string', 'pg-cursor']) {
      const link = path.join(root, 'node_modules', p);
      fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(path.join('..', 'packages', p), link);
    }
    fs.writeFileSync(marker, '');
  } else {
    const marker = path.join(M2_CHECKOUT, 'node_modules', '.peer-suites-ok');
    if (fs.existsSync(marker)) continue;
    say("installing mysql2's dev dependencies from npm (npm ci, once)");
    if (!sh('npm', ['ci', ...npmQuiet, '--ignore-scripts'], M2_CHECKOUT))
      fail("npm ci of mysql2's dev dependencies failed", 1);
    fs.writeFileSync(marker, '');
  }
}

const RESULTS_DIR = path.join(PEERS_DIR, 'results');
fs.mkdirSync(RESULTS_DIR, { recursive: true });
Object.assign(harnessEnv, {
  AH_DIR,
  PEERS_DIR,
  PG_CHECKOUT,
  M2_CHECKOUT,
  RESULTS_DIR,
  SUITE,
  SUITES: SUITES.join(' '),
  MODES: MODES.join(' '),
  SAMPLE,
  ONLY,
  FILE_TIMEOUT_S,
});
node('lib/check-servers.mjs', SUITES);

// --- run (one suite after the other, each file in its own process) ---
for (const s of SUITES) {
  if (s === 'pg') node('pg/run-pg.mjs', MODES);
  else {
    const modes = MODES.filter((m) => m !== 'raw-strict');
    if (modes.length) node('mysql2/run-mysql2.mjs', modes);
  }
}
node('lib/analyze.mjs');
