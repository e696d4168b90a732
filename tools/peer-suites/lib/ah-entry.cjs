'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded by node itself (node -r / require) */
// Where aurora-ha's public entry points live, read from its package.json "exports" the way a consumer
// resolves them (require -> the CommonJS build, import -> the ESM build).
//   node tools/peer-suites/lib/ah-entry.cjs [<aurora-ha dir>]   prints the entry files the harness loads, one per line.
const fs = require('fs');
const path = require('path');

const CONDITIONS = { require: ['node', 'require', 'default'], import: ['node', 'import', 'default'] };
// the entry points the harness loads
const ENTRIES = [
  ['./pg', 'require'],
  ['./mysql2', 'import'],
  ['./mysql2/promise', 'import'],
];

function pick(target, conditions) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = pick(t, conditions);
      if (r) return r;
    }
    return null;
  }
  if (target && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (!conditions.includes(key)) continue;
      const r = pick(value, conditions);
      if (r) return r;
    }
  }
  return null;
}

function ahEntry(ahDir, subpath, kind) {
  if (!ahDir) throw new Error('AH_DIR is not set (npm run peers sets it to the aurora-ha checkout)');
  const pkg = JSON.parse(fs.readFileSync(path.join(ahDir, 'package.json'), 'utf8'));
  const target = pkg.exports && pkg.exports[subpath];
  const rel = target === undefined ? null : pick(target, CONDITIONS[kind]);
  if (!rel) throw new Error(`${pkg.name} (${ahDir}) has no "${subpath}" export for ${kind}`);
  return path.resolve(ahDir, rel);
}

module.exports = { ahEntry, ENTRIES };

if (require.main === module) {
  const dir = process.argv[2] || process.cwd();
  for (const [subpath, kind] of ENTRIES) console.log(ahEntry(dir, subpath, kind));
}
