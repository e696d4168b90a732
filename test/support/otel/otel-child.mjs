// ESM child of test/integration/otel-failover.test.ts, started as `node --import otel-setup.mjs
// otel-child.mjs` with `OTEL_CHILD.module = 'esm'` (the setup then registers the
// instrumentations' ESM loader hook) or 'esm-no-hook': the shared application (otel-app.cjs) on
// aurora-ha's ESM build, `import`ed from dist/*.js, which imports pg / mysql2 itself.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const { run, settings } = createRequire(import.meta.url)('./otel-app.cjs');

run(() => import(pathToFileURL(path.join(settings.root, settings.engine === 'mysql' ? 'dist/mysql2.js' : 'dist/pg.js')).href));
