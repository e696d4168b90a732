// Shared by the two runners: settings from the environment (run.mjs sets them), running one test file
// in its own process group with a per-file timeout, and writing a mode's results.
import { spawn } from 'node:child_process';
import { setTimeout, clearTimeout } from 'node:timers';
import fs from 'node:fs';
import path from 'node:path';

export function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`peer-suites: ${name} is not set (run the harness with npm run peers)`);
    process.exit(2);
  }
  return v;
}

export const RESULTS_DIR = () => need('RESULTS_DIR');
export const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null;

// FILE_TIMEOUT_S overrides the per-suite / per-mode defaults
export function fileTimeoutMs(defaultSeconds) {
  const s = Number(process.env.FILE_TIMEOUT_S || defaultSeconds);
  if (!(s > 0)) throw new Error(`bad FILE_TIMEOUT_S: ${process.env.FILE_TIMEOUT_S}`);
  return s * 1000;
}

// results/<suite>/<mode>/<file with / -> __>.log
export const logBase = (file) => file.replace(/^test\/integration\//, '').replace(/\//g, '__');

let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current)
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    process.exit(130);
  });
}

// Runs `node <args>` in cwd as its own process group; the whole group is killed on timeout (and after
// exit, in case the test left children behind). Resolves {code, signal, timedOut, out, ms}.
export function runFile(args, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* the group has already exited */
      }
      current = null;
      resolve({ code, signal, timedOut, out, ms: Date.now() - t0 });
    });
  });
}

export const firstErrorLine = (text) =>
  (text.split('\n').find((l) => /\b\w*(Error|Exception)\b/.test(l)) || '').trim().slice(0, 300);

// Final per-file record: adds the synthetic tests the analysis relies on.
//   [whole file] : the file reported no test at all (crashed while loading, or has no tests)
//   [file exit]  : every test passed but the process failed or did not exit within the timeout
// fileError: the file's own first error line when the runner knows it better than "first Error line of the output".
export function fileRecord(file, r, tests, fileError) {
  const fileStatus = r.timedOut ? 'file-timeout' : r.code === 0 ? 'pass' : 'fail';
  const error =
    fileStatus === 'file-timeout'
      ? 'file did not finish within the per-file timeout'
      : fileError || firstErrorLine(r.out) || (r.code !== 0 ? `exit ${r.code ?? r.signal}` : undefined);
  if (tests.length === 0)
    tests.push({
      name: '[whole file]',
      verdict: fileStatus === 'pass' ? 'ok' : fileStatus === 'file-timeout' ? 'timeout' : 'fail',
      ...(fileStatus === 'pass' ? {} : { error }),
    });
  else if (fileStatus !== 'pass' && tests.every((t) => t.verdict === 'ok'))
    tests.push({ name: '[file exit]', verdict: fileStatus === 'file-timeout' ? 'timeout' : 'fail', error });
  const rec = { file, fileStatus, code: r.code, signal: r.signal, ms: r.ms, tests };
  if (fileStatus !== 'pass') {
    rec.error = error;
    rec.tail = r.out
      .split('\n')
      .filter((l) => l.trim())
      .slice(-8)
      .join(' | ')
      .slice(0, 800);
  }
  return rec;
}

export function modeDir(suite, mode) {
  const dir = path.join(RESULTS_DIR(), suite, mode);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function progress(suite, mode, rec) {
  const ok = rec.tests.filter((t) => t.verdict === 'ok').length;
  const skipped = rec.tests.filter((t) => t.verdict === 'skipped').length;
  const name = rec.file.replace(/^test\/integration\//, '');
  const tag = `[${suite} ${mode}]`.padEnd(20);
  console.log(
    `${tag} ${rec.fileStatus.padEnd(12)} ${name}  ok=${ok} not-ok=${rec.tests.length - ok - skipped}${skipped ? ` skipped=${skipped}` : ''}  ${(rec.ms / 1000).toFixed(1)}s`,
  );
}
