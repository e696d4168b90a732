// node --import ./register.mjs list-exports.mjs  -> {"./mysql2": [names], "./mysql2/promise": [names]}
// Lists what aurora-ha's ESM entry points export, loaded exactly as the tests load them.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const { ahEntry } = createRequire(import.meta.url)('../lib/ah-entry.cjs');
const out = {};
for (const sub of ['./mysql2', './mysql2/promise'])
  out[sub] = Object.keys(await import(pathToFileURL(ahEntry(process.env.AH_DIR, sub, 'import')).href));
console.log(JSON.stringify(out));
