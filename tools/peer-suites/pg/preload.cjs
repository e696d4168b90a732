'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded by node itself (node -r / require) */
/* global __dirname */
// node -r preload.cjs <test file>   (cwd: <node-postgres>/packages/pg; env PG_CHECKOUT, AH_DIR)
// * AH_PLUGINS=none|default : the suite's pg module (packages/pg/lib/index.js, what `require('pg')`,
//   `require('../../lib')` resolve to) becomes shim-pg.cjs, except for requires coming from aurora-ha's
//   build: its peer `pg` is this very checkout, so there is one pg in the process.
// * SUITE_CONTINUE=1 : test/suite.js is replaced by suite-continue.cjs (same output, but a failing or
//   timed-out test is reported and the next one runs, instead of process.exit on the first failure).
const Module = require('module');
const path = require('path');
const { ahEntry } = require('../lib/ah-entry.cjs');

const PG_DIR = process.env.PG_CHECKOUT;
if (!PG_DIR) throw new Error('PG_CHECKOUT is not set (run the harness with npm run peers)');
const PG_INDEX = path.join(PG_DIR, 'lib', 'index.js');
const SUITE = path.join(PG_DIR, 'test', 'suite.js');
const SHIM = path.join(__dirname, 'shim-pg.cjs');
const CONT = path.join(__dirname, 'suite-continue.cjs');
const mode = process.env.AH_PLUGINS; // unset or empty -> the real pg
const AH_BUILD = mode ? path.dirname(ahEntry(process.env.AH_DIR, './pg', 'require')) + path.sep : null;

const orig = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  const from = (parent && parent.filename) || '';
  const fromAh = AH_BUILD !== null && (from.startsWith(AH_BUILD) || from === SHIM);
  if (fromAh && request === 'pg') return PG_INDEX;
  if (fromAh && request.startsWith('pg/'))
    return orig.call(this, request, parent, isMain, { paths: [PG_DIR] });
  const resolved = orig.call(this, request, parent, isMain, options);
  if (resolved === SUITE && process.env.SUITE_CONTINUE === '1') return CONT;
  if (mode && resolved === PG_INDEX && !fromAh) return SHIM;
  return resolved;
};

// In continue mode an uncaught exception fails the running test (instead of test-helper's process.exit).
if (process.env.SUITE_CONTINUE === '1') {
  const on = process.on;
  process.on = function (ev, fn) {
    // only the suite's own handler (test/test-helper.js: log + process.exit); tests that install
    // their own handlers (gh-issues/2556) keep them as written
    if (
      ev === 'uncaughtException' &&
      /[\\/]test[\\/]test-helper\.js:/.test(new Error().stack.split('\n').slice(2, 4).join('\n'))
    ) {
      const wrapped = function (err) {
        if (typeof globalThis.__suiteFailCurrent === 'function') return globalThis.__suiteFailCurrent(err);
        if (globalThis.__suiteActive && typeof globalThis.__suiteLateError === 'function')
          return globalThis.__suiteLateError(err);
        return fn.apply(this, arguments);
      };
      return on.call(this, ev, wrapped);
    }
    return on.apply(this, arguments);
  };
}
