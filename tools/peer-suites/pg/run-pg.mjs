// Runs node-postgres' integration test files one by one (sequentially, per-file timeout) in the given modes:
//   raw-strict : the real pg, the suite's own harness untouched (a file stops at its first failure)
//   raw        : the real pg, continue-on-failure harness (every test gets a verdict)
//   none       : aurora-ha/pg with plugins: []      (continue harness)
//   default    : aurora-ha/pg with default plugins  (continue harness)
// usage (run.mjs does this): node run-pg.mjs <mode> ...   -> $RESULTS_DIR/pg/<mode>/{files.json,*.log,*.jsonl}
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  need,
  only,
  fileTimeoutMs,
  logBase,
  runFile,
  fileRecord,
  modeDir,
  progress,
} from '../lib/common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PG = need('PG_CHECKOUT'); // <node-postgres>/packages/pg
const TIMEOUT_MS = fileTimeoutMs(45);
const MODES = {
  'raw-strict': { SUITE_CONTINUE: '', AH_PLUGINS: '' },
  raw: { SUITE_CONTINUE: '1', AH_PLUGINS: '' },
  none: { SUITE_CONTINUE: '1', AH_PLUGINS: 'none' },
  default: { SUITE_CONTINUE: '1', AH_PLUGINS: 'default' },
};
// needs a server with SSL configured (and its own certificates); not part of the comparison
const EXCLUDED = new Set(['test/integration/client/ssl-tests.js']);

const modes = process.argv.slice(2);
for (const m of modes) if (!MODES[m]) throw new Error(`unknown pg mode: ${m}`);

const files = [];
const walk = (d) => {
  for (const e of fs
    .readdirSync(path.join(PG, d), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.posix.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.js') && e.name !== 'test-helper.js' && !EXCLUDED.has(p)) files.push(p);
  }
};
walk('test/integration');
const selected = files.filter((f) => !only || only.test(f));
if (!selected.length) console.log(`[pg] no integration file matches ONLY=${process.env.ONLY}`);

// the strict harness has no report file: parse "  <name> ✔" / "FAILED!" / "? - SKIPPED" lines
const parseStrict = (out) =>
  [...out.matchAll(/^ {2}(.+?) (✔|FAILED!|\? - SKIPPED)$/gm)].map((m) => ({
    name: m[1],
    verdict: m[2] === '✔' ? 'ok' : m[2] === 'FAILED!' ? 'fail' : 'skipped',
  }));

// -> {tests, fileError}
function readReport(reportFile) {
  if (!fs.existsSync(reportFile)) return { tests: [] };
  const recs = fs
    .readFileSync(reportFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const tests = recs.filter((t) => t.verdict !== 'late-error');
  let fileError;
  for (const late of recs.filter((t) => t.verdict === 'late-error')) {
    // thrown before the first test: the file's error
    if (late.name === undefined) {
      fileError ||= late.error;
      continue;
    }
    // thrown after a test already passed (e.g. a second unhandled rejection): that test is not ok
    const t = tests.findLast((x) => x.name === late.name);
    if (t && t.verdict === 'ok') Object.assign(t, { verdict: 'late-error', error: late.error });
  }
  return { tests, fileError };
}

for (const mode of modes) {
  const dir = modeDir('pg', mode);
  const records = [];
  for (const file of selected) {
    const base = logBase(file);
    const reportFile = path.join(dir, base + '.jsonl');
    const env = {
      ...process.env,
      PGHOST: 'localhost',
      PGPORT: '5432',
      PGUSER: 'postgres',
      PGDATABASE: 'test',
      PGTESTNOSSL: 'true',
      ...MODES[mode],
      SUITE_REPORT: MODES[mode].SUITE_CONTINUE ? reportFile : '',
    };
    const r = await runFile(['-r', path.join(HERE, 'preload.cjs'), file], {
      cwd: PG,
      env,
      timeoutMs: TIMEOUT_MS,
    });
    fs.writeFileSync(path.join(dir, base + '.log'), r.out);
    const { tests, fileError } = MODES[mode].SUITE_CONTINUE
      ? readReport(reportFile)
      : { tests: parseStrict(r.out) };
    const rec = fileRecord(file, r, tests, fileError);
    records.push(rec);
    progress('pg', mode, rec);
  }
  fs.writeFileSync(path.join(dir, 'files.json'), JSON.stringify(records, null, 1));
}
