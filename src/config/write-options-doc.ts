/** `npm run docs:options`: rewrites the generated tables (options, AWS Node's keys) in docs/configuration.md. */

import { readFileSync, writeFileSync } from 'node:fs';
import { withAwsTables, withOptionsTable } from './options-doc.js';

const path = new URL('../../docs/configuration.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withAwsTables(withOptionsTable(before));
if (after !== before) writeFileSync(path, after);
console.log(
  after === before
    ? 'docs/configuration.md: option table up to date'
    : 'docs/configuration.md: option table rewritten',
);
