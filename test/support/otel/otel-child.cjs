// CommonJS child of test/integration/otel-failover.test.ts, started as `node --import
// otel-setup.mjs otel-child.cjs`: the shared application (otel-app.cjs) on aurora-ha's CommonJS
// build, its pg / mysql2 patched by the instrumentations' require hooks.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS application, on purpose (require hooks) */
'use strict';
const path = require('node:path');
const { run, settings } = require('./otel-app.cjs');

run(() => require(path.join(settings.root, settings.engine === 'mysql' ? 'dist/mysql2.cjs' : 'dist/pg.cjs')));
