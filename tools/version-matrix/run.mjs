// npm run test:matrix : the unit suite (test/unit) and the package check (test/package: the packed
// tarball installed with the lockfile's and with the oldest pg / mysql2 the peer ranges allow, each
// driver's connect + query + writer failover through its pool on the emulator) run by other Node
// majors than the one running this script. Each Node is the npm package node-<platform>-<arch>@<major>
// (its bin/node), fetched once into a cache directory outside the repository.
// Prints one line per cell (Node version x suite: passed / failed / skipped, seconds); exit code 1
// when a cell fails, 2 on bad options or a Node that cannot be fetched.
// Needs `npm ci` done; the package check also needs PostgreSQL and MariaDB (as `npm test` does).
// Options (environment):
//   MATRIX_NODES="22 24 26"       Node majors (or exact versions, e.g. 22.12.0)
//   MATRIX_SUITES="unit package"  which suites
//   NODE_BINS_DIR                 cache of Node binaries (default $TMPDIR/aurora-ha-node-bins)
//   MATRIX_LOGS_DIR               one log per cell (default $TMPDIR/aurora-ha-matrix-logs)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { scriptCli } from '../lib/script-cli.mjs';

const ROOT = fs.realpathSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));
const { say, fail } = scriptCli('version-matrix', import.meta.url);

const env = process.env;
const TMP = env.TMPDIR || os.tmpdir();
const NODES = (env.MATRIX_NODES || '22 24 26').split(/\s+/).filter(Boolean);
const SUITES = (env.MATRIX_SUITES || 'unit package').split(/\s+/).filter(Boolean);
const BINS_DIR = env.NODE_BINS_DIR || path.join(TMP, 'aurora-ha-node-bins');
const LOGS_DIR = env.MATRIX_LOGS_DIR || path.join(TMP, 'aurora-ha-matrix-logs');
const SUITE_DIRS = { unit: 'test/unit', package: 'test/package' };
/**
 * Last resort against a hung cell (vitest's own test, hook and teardown timeouts bound every
 * test): CI's whole budget is 20 minutes, so a cell still running after 10 is broken either way.
 */
const CELL_TIMEOUT_MS = 10 * 60_000;

for (const n of NODES) if (!/^\d+(\.\d+\.\d+)?$/.test(n)) fail(`MATRIX_NODES: '${n}' is not a major or x.y.z`);
for (const s of SUITES) if (!SUITE_DIRS[s]) fail(`MATRIX_SUITES: unknown suite '${s}' (unit, package)`);
if (!NODES.length || !SUITES.length) fail('MATRIX_NODES and MATRIX_SUITES must not be empty');
if (!fs.existsSync(path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'))) fail('run `npm ci` first');

const ARCHES = { x64: 'x64', arm64: 'arm64' };
const PLATFORMS = { linux: 'linux', darwin: 'darwin' };
if (!ARCHES[process.arch] || !PLATFORMS[process.platform])
  fail(`no Node binary package for ${process.platform}-${process.arch} (linux / darwin, x64 / arm64)`);
const NODE_PKG = `node-${PLATFORMS[process.platform]}-${ARCHES[process.arch]}`;

/** Runs npm with this script's Node; stdout, or exit 2 naming the command. */
function npm(npmArgs, cwd = ROOT) {
  const r = spawnSync('npm', npmArgs, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) fail(`npm ${npmArgs.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

const semverCompare = (a, b) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
};

/** The newest published version of the Node package matching `spec` (a major, or exact). */
function resolveVersion(spec) {
  const out = JSON.parse(npm(['view', '--prefer-offline', '--json', `${NODE_PKG}@${spec}`, 'version']) || 'null');
  const versions = (Array.isArray(out) ? out : [out]).filter((v) => typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v));
  if (!versions.length) fail(`no published ${NODE_PKG}@${spec}`);
  return versions.sort(semverCompare).at(-1);
}

/** Path of bin/node for `version`, fetched into BINS_DIR unless it is there already. */
function nodeBinary(version) {
  const dir = path.join(BINS_DIR, `${NODE_PKG}-${version}`);
  const bin = path.join(dir, 'bin', 'node');
  const works = () => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${version}`;
  if (fs.existsSync(bin) && works()) return { bin, fetched: false };
  fs.mkdirSync(BINS_DIR, { recursive: true });
  const work = fs.mkdtempSync(path.join(BINS_DIR, '.fetch-'));
  try {
    const packed = JSON.parse(
      npm(['pack', '--silent', '--json', '--prefer-offline', '--pack-destination', work, `${NODE_PKG}@${version}`], work),
    );
    const tgz = path.join(work, packed[0].filename);
    // Only the binary: the package also holds ~90 MB of C headers.
    const tar = spawnSync('tar', ['-xzf', tgz, '-C', work, 'package/bin/node', 'package/package.json'], {
      encoding: 'utf8',
    });
    if (tar.status !== 0) fail(`tar -xzf ${tgz} failed: ${tar.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'package'), dir); // whole, or not there: a cut fetch is redone
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (!works()) fail(`${bin} does not print v${version}`);
  return { bin, fetched: true };
}

/**
 * Runs one suite with `bin`: vitest under that Node, with that Node first on PATH, so the package
 * check's npm, npx, tsc and smoke scripts run on it too. Resolves with the JSON report's counts.
 */
function runCell(bin, version, suite) {
  const label = `node${version}-${suite}`;
  const report = path.join(LOGS_DIR, `${label}.json`);
  const log = path.join(LOGS_DIR, `${label}.log`);
  fs.rmSync(report, { force: true });
  const logFd = fs.openSync(log, 'w');
  const binDir = path.dirname(bin);
  const childEnv = { ...env, PATH: `${binDir}${path.delimiter}${env.PATH ?? ''}`, NODE: bin };
  if (suite === 'package') childEnv.AURORA_HA_PACKED_TARBALL = tarball;
  // npm run sets these to the Node that ran npm; a child npm must not pick them up.
  delete childEnv.npm_node_execpath;
  delete childEnv.npm_execpath;
  const vitestArgs = [
    '--unhandled-rejections=strict',
    path.join('node_modules', 'vitest', 'vitest.mjs'),
    'run',
    SUITE_DIRS[suite],
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(bin, vitestArgs, {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', logFd, logFd],
      detached: true, // its own process group, so a hung cell is ended whole
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, CELL_TIMEOUT_MS);
    timer.unref();
    let settled = false;
    const done = (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fs.closeSync(logFd);
      const seconds = (performance.now() - started) / 1000;
      let counts = null;
      try {
        const json = JSON.parse(fs.readFileSync(report, 'utf8'));
        const failedNames = json.testResults.flatMap((file) => [
          ...(file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed')
            ? [`${path.relative(ROOT, file.name)}: ${file.message ?? 'failed'}`]
            : []),
          ...file.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName),
        ]);
        counts = {
          passed: json.numPassedTests,
          failed: json.numFailedTests,
          skipped: json.numPendingTests + json.numTodoTests,
          failedNames,
          success: json.success,
        };
      } catch {
        // no report: vitest did not finish
      }
      const ok = code === 0 && !timedOut && counts !== null && counts.success && counts.failed === 0;
      resolve({ label, suite, version, ok, code, signal, timedOut, seconds, counts, log });
    };
    child.on('error', (err) => {
      fs.writeSync(logFd, `spawn failed: ${err.message}\n`);
      done(null, null);
    });
    child.on('exit', done);
  });
}

fs.mkdirSync(LOGS_DIR, { recursive: true });
const fetchStarted = performance.now();
const nodes = NODES.map((spec) => {
  const version = resolveVersion(spec);
  const { bin, fetched } = nodeBinary(version);
  return { version, bin, fetched };
});
say(
  `${nodes.map((n) => `node ${n.version} (${n.fetched ? 'fetched' : 'cached'})`).join(', ')} in ${BINS_DIR}, ` +
    `${((performance.now() - fetchStarted) / 1000).toFixed(1)} s; logs in ${LOGS_DIR}`,
);

// The package check's tarball, built and packed once: what a user installs does not depend on the
// Node that runs the check (test/package/ packs it itself when run alone).
let tarball = '';
const packDir = fs.mkdtempSync(path.join(TMP, 'aurora-ha-matrix-pack-'));
process.on('exit', () => fs.rmSync(packDir, { recursive: true, force: true }));
if (SUITES.includes('package')) {
  const packStarted = performance.now();
  npm(['run', 'build']);
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir]));
  tarball = path.join(packDir, packed[0].filename);
  say(`built and packed ${path.basename(tarball)} in ${((performance.now() - packStarted) / 1000).toFixed(1)} s`);
}

const results = [];
for (const { version, bin } of nodes) {
  for (const suite of SUITES) {
    const r = await runCell(bin, version, suite);
    results.push(r);
    const c = r.counts;
    const counts = c ? `passed ${c.passed}, failed ${c.failed}, skipped ${c.skipped}` : 'no report';
    const why = r.timedOut ? ` (killed after ${CELL_TIMEOUT_MS / 1000} s)` : r.ok ? '' : ` (exit ${r.code ?? r.signal})`;
    console.log(
      `node ${version.padEnd(8)} ${suite.padEnd(8)} ${r.ok ? 'PASS' : 'FAIL'}  ${counts}  ${r.seconds.toFixed(1)} s${why}`,
    );
    if (!r.ok) {
      for (const name of c?.failedNames ?? []) console.log(`    failed: ${name}`);
      console.log(`    log: ${r.log}`);
    }
  }
}
const failed = results.filter((r) => !r.ok);
const total = results.reduce((s, r) => s + r.seconds, 0);
console.log(
  `version matrix: ${results.length - failed.length}/${results.length} cells passed in ${total.toFixed(1)} s` +
    ` (+ ${((performance.now() - fetchStarted) / 1000 - total).toFixed(1)} s fetching Node and packing)`,
);
process.exitCode = failed.length ? 1 : 0;
