// node --import tsx --import <this> <file>.test.mts   (cwd: the mysql2 checkout; env M2_CHECKOUT, AH_DIR,
// AH_SHIM_DIR, AH_PLUGINS). Registers hooks.mjs and does the same redirection for CommonJS requires.
import Module, { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const M2 = process.env.M2_CHECKOUT;
const AH = process.env.AH_DIR;
if (!M2 || !AH) throw new Error('M2_CHECKOUT / AH_DIR are not set (run the harness with npm run peers)');
const { ahEntry } = createRequire(import.meta.url)('../lib/ah-entry.cjs');
const AH_BUILD = path.dirname(ahEntry(AH, './mysql2', 'import')) + path.sep;
const mode = process.env.AH_PLUGINS || '';
const shimDir = process.env.AH_SHIM_DIR || '';
if (mode && !shimDir) throw new Error('AH_SHIM_DIR is not set');

register('./hooks.mjs', import.meta.url, {
  data: {
    mode,
    m2: pathToFileURL(M2 + path.sep).href,
    ahBuild: pathToFileURL(AH_BUILD).href,
    shims: shimDir && pathToFileURL(shimDir + path.sep).href,
  },
});

// CommonJS side: anything in aurora-ha's build that require()s mysql2 gets the checkout (one mysql2).
const requireFromM2 = createRequire(path.join(M2, 'package.json'));
const orig = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const from = (parent && parent.filename) || '';
  if (from.startsWith(AH_BUILD) && (request === 'mysql2' || request.startsWith('mysql2/')))
    return requireFromM2.resolve(request);
  return orig.call(this, request, parent, ...rest);
};
