'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded by node itself (node -r / require) */
// Same interface/output as packages/pg/test/suite.js, but keeps going after a failure so that every
// test gets a verdict. Console: "  <name> ✔" | "  <name> FAILED!\n<stack>" | "  <name> TIMEOUT".
// With SUITE_REPORT=<file>, one JSON line per test is appended: {name, verdict, error}.
// An uncaught exception / unhandled rejection while a test runs fails that test (see preload.cjs).
const fs = require('fs');
const { setTimeout, clearTimeout, setImmediate } = require('timers');
const async = require(require.resolve('async', { paths: [process.env.PG_CHECKOUT] }));
const report = (rec) => {
  if (process.env.SUITE_REPORT) fs.appendFileSync(process.env.SUITE_REPORT, JSON.stringify(rec) + '\n');
};
let failures = 0;
// an error thrown after the test that caused it already has its verdict (e.g. a second unhandled rejection)
globalThis.__suiteLateError = (err) => {
  failures++;
  process.exitCode = 1;
  const when =
    globalThis.__suiteLastTest === undefined
      ? 'before the first test'
      : `after '${globalThis.__suiteLastTest}'`;
  process.stdout.write(`\n  [error ${when}] ${err && err.stack ? err.stack : err}\n`);
  // without a name (thrown before any test ran) it is the file's error
  report({
    name: globalThis.__suiteLastTest,
    verdict: 'late-error',
    error: String((err && err.stack) || err)
      .split('\n')
      .slice(0, 4)
      .join(' | '),
  });
};
class Test {
  constructor(name, cb) {
    this.name = name;
    this.action = cb;
    this.timeout = 5000;
  }
  run(cb) {
    try {
      this._run(cb);
    } catch (e) {
      cb(e);
    }
  }
  _run(cb) {
    if (!this.action) return cb();
    if (!this.action.length) {
      const result = this.action.call(this);
      if (!(result || 0).then) return cb();
      result.then(() => cb()).catch((err) => cb(err || new Error('Unhandled promise rejection')));
    } else this.action(cb);
  }
}
class Suite {
  constructor() {
    console.log('');
    globalThis.__suiteActive = true;
    this._queue = async.queue(this.run.bind(this), 1);
    // once every test has a verdict and something failed, don't wait for leaked sockets to close
    this._queue.drain = () => {
      if (failures) setTimeout(() => process.exit(1), 2000).unref();
    };
  }
  run(test, cb) {
    process.stdout.write('  ' + test.name + ' ');
    // SUITE_SKIP=<regex>: skip matching tests (used to isolate a file's tests from an earlier test's leak)
    if (process.env.SUITE_SKIP && new RegExp(process.env.SUITE_SKIP).test(test.name)) test.action = undefined;
    if (!test.action) {
      process.stdout.write('? - SKIPPED\n');
      report({ name: test.name, verdict: 'skipped' });
      return cb();
    }
    let done = false;
    globalThis.__suiteLastTest = test.name;
    const finish = (verdict, err) => {
      if (done) return;
      done = true;
      globalThis.__suiteFailCurrent = undefined;
      clearTimeout(tid);
      if (verdict === 'ok') process.stdout.write('✔\n');
      else {
        process.exitCode = 1;
        failures++;
        process.stdout.write(
          verdict === 'timeout' ? `TIMEOUT\n` : `FAILED!\n\n${err && err.stack ? err.stack : String(err)}\n`,
        );
      }
      const e = err
        ? String((err && err.stack) || err)
            .split('\n')
            .slice(0, 4)
            .join(' | ')
        : undefined;
      report({
        name: test.name,
        verdict,
        error: verdict === 'timeout' ? `did not complete within ${test.timeout}ms` : e,
      });
      setImmediate(cb);
    };
    const tid = setTimeout(() => finish('timeout'), test.timeout);
    globalThis.__suiteFailCurrent = (err) => finish('fail', err);
    test.run((err) => finish(err ? 'fail' : 'ok', err));
  }
  test(name, cb) {
    this._queue.push(new Test(name, cb));
  }
}
module.exports = Suite;
