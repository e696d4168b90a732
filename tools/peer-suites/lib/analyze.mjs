// node lib/analyze.mjs  (run.mjs does this; env RESULTS_DIR, SUITES, MODES, AH_DIR, PEERS_DIR)
// For every suite and mode: which of the tests that pass with the raw driver (mode raw, same files) also
// pass here. Writes $RESULTS_DIR/summary.json, regressions.json (every raw-passing test that does not
// pass in the mode) and categories.txt, and prints one line per suite and mode, last:
//   peer-suite <suite> <mode>: <pass> of <raw-passing> raw-passing tests pass
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { need } from './common.mjs';
import { categoriesText, groups } from './categorize.mjs';

const RESULTS = need('RESULTS_DIR');
const AH_DIR = need('AH_DIR');
const PEERS_DIR = need('PEERS_DIR');
const SUITES = need('SUITES').split(/\s+/).filter(Boolean);
const MODES = need('MODES').split(/\s+/).filter(Boolean);
const CHECKOUTS = { pg: 'node-postgres', mysql2: 'node-mysql2' };

const short = (file) => file.replace(/^test\/integration\//, '');
const clean = (s) =>
  s === undefined || s === null
    ? s
    : String(s).split(AH_DIR).join('<aurora-ha>').split(PEERS_DIR).join('<peers>').slice(0, 400);
const git = (dir, ...args) => {
  try {
    return execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
};

function load(suite, mode) {
  const f = path.join(RESULTS, suite, mode, 'files.json');
  if (!fs.existsSync(f)) return null;
  const files = new Map();
  for (const rec of JSON.parse(fs.readFileSync(f, 'utf8'))) {
    const tests = new Map();
    const seen = {};
    for (const t of rec.tests) {
      seen[t.name] = (seen[t.name] || 0) + 1;
      tests.set(short(rec.file) + ' :: ' + t.name + (seen[t.name] > 1 ? ` #${seen[t.name]}` : ''), t);
    }
    files.set(rec.file, { rec, tests });
  }
  return files;
}

const summary = {
  generated: new Date().toISOString(),
  auroraHa: {
    commit: git(AH_DIR, 'rev-parse', '--short', 'HEAD'),
    uncommittedChanges: !!git(AH_DIR, 'status', '--porcelain', '--untracked-files=no'),
  },
  peers: {},
  options: Object.fromEntries(
    ['SUITE', 'MODES', 'SAMPLE', 'ONLY', 'FILE_TIMEOUT_S'].map((k) => [k, process.env[k] || null]),
  ),
  results: {},
  lines: [],
};
const regressions = {};
const notes = [];

for (const suite of SUITES) {
  summary.peers[suite] = git(path.join(PEERS_DIR, CHECKOUTS[suite]), 'log', '-1', '--format=%h %cs %s');
  const raw = load(suite, 'raw');
  summary.results[suite] = {};
  for (const mode of MODES) {
    const data = mode === 'raw' ? raw : load(suite, mode);
    if (!data) continue; // e.g. raw-strict for mysql2
    let rawPassing = 0;
    let pass = 0;
    const failing = [];
    const noBaseline = [];
    const exitOnly = [];
    const verdicts = {};
    const fileStatus = { pass: 0, fail: 0, 'file-timeout': 0 };
    for (const [file, { rec, tests }] of data) {
      fileStatus[rec.fileStatus]++;
      for (const t of tests.values()) verdicts[t.verdict] = (verdicts[t.verdict] || 0) + 1;
      const base = raw && raw.get(file);
      if (!base) {
        noBaseline.push(short(file));
        continue;
      }
      for (const [key, bt] of base.tests) {
        if (bt.verdict !== 'ok') continue;
        rawPassing++;
        const t = tests.get(key);
        if (t && t.verdict === 'ok') {
          pass++;
          continue;
        }
        failing.push(
          t
            ? { test: key, verdict: t.verdict, error: clean(t.error) || '' }
            : {
                test: key,
                verdict: 'not-run',
                error: `not run (the file stopped earlier): ${clean(rec.error) || rec.fileStatus}`,
              },
        );
      }
      // every test passed but the process failed or hung afterwards (not a test, so not counted above)
      if (base.rec.fileStatus === 'pass' && tests.has(short(file) + ' :: [file exit]'))
        exitOnly.push(`${short(file)}: ${clean(rec.error)}`);
    }
    const line = `peer-suite ${suite} ${mode}: ${pass} of ${rawPassing} raw-passing tests pass`;
    summary.lines.push(line);
    summary.results[suite][mode] = {
      files: data.size,
      fileStatus,
      verdicts,
      rawPassing,
      pass,
      failing: failing.length,
      notRun: failing.filter((r) => r.verdict === 'not-run').length,
      ...(noBaseline.length ? { filesWithoutRawBaseline: noBaseline } : {}),
      ...(exitOnly.length ? { filesFailingOnlyAtExit: exitOnly } : {}),
      line,
    };
    if (mode !== 'raw') (regressions[suite] ||= {})[mode] = failing;
    console.log(
      `${suite} ${mode.padEnd(10)} files=${data.size} (pass ${fileStatus.pass}, fail ${fileStatus.fail}, timeout ${fileStatus['file-timeout']})  verdicts ${JSON.stringify(verdicts)}`,
    );
    if (mode !== 'raw')
      for (const [key, rs] of groups(failing).slice(0, 3))
        console.log(`${' '.repeat(suite.length + 12)}${String(rs.length).padStart(4)} × ${key}`);
    if (noBaseline.length)
      notes.push(
        `${suite} ${mode}: ${noBaseline.length} file(s) have no raw result to compare with (add raw to MODES): ${noBaseline.slice(0, 3).join(', ')}${noBaseline.length > 3 ? ', ...' : ''}`,
      );
    if (exitOnly.length)
      notes.push(
        `${suite} ${mode}: ${exitOnly.length} file(s) pass every test but fail or hang at exit (see summary.json filesFailingOnlyAtExit)`,
      );
  }
}

fs.writeFileSync(path.join(RESULTS, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
fs.writeFileSync(path.join(RESULTS, 'regressions.json'), JSON.stringify(regressions, null, 1) + '\n');
fs.writeFileSync(path.join(RESULTS, 'categories.txt'), categoriesText(regressions));
for (const n of notes) console.log('note: ' + n);
console.log(
  `results: ${RESULTS}/ (summary.json, regressions.json, categories.txt; per-file logs in <suite>/<mode>/)`,
);
for (const l of summary.lines) console.log(l);
