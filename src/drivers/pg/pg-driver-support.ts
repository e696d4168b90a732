/**
 * Which pg aurora-ha can drive. The `aurora-ha/pg` Client and Pool check it when they are
 * constructed: with an older pg they throw UnsupportedDriverError naming the version found,
 * instead of failing later with a TypeError from inside pg's internals.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { UnsupportedDriverError } from '../../core/errors.js';

/** The oldest pg aurora-ha drives: the first to export TypeOverrides (package.json's peer range). */
export const MIN_PG_VERSION = '8.15.5';

/** Whether the loaded pg module has what the facade uses (checked by feature, not by version). */
export function pgSupported(module: unknown = pg): boolean {
  return typeof (module as { TypeOverrides?: unknown } | undefined)?.TypeOverrides === 'function';
}

let foundVersion: string | undefined;

/** The package.json version of the pg package holding `file`, looking up a few folders. */
function versionAbove(file: string): string | undefined {
  let dir = path.dirname(file);
  for (let up = 0; up < 4; up++, dir = path.dirname(dir)) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      continue;
    }
    const json = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (json.name === 'pg' && typeof json.version === 'string') return json.version;
  }
  return undefined;
}

/**
 * The version of the loaded pg, for the error message: the module cache entry whose exports are
 * the pg module we imported gives its file (pg's `exports` do not list package.json, and this
 * file is bundled into both an ESM and a CommonJS build, so it cannot resolve from itself);
 * otherwise pg as resolved from the working directory. 'of unknown version' when neither works.
 */
export function loadedPgVersion(module: unknown = pg): string {
  if (foundVersion !== undefined) return foundVersion;
  foundVersion = 'of unknown version';
  try {
    const require = createRequire(path.join(process.cwd(), 'index.js'));
    const entry = Object.entries(require.cache).find(([, m]) => m?.exports === module);
    foundVersion = versionAbove(entry?.[0] ?? require.resolve('pg')) ?? foundVersion;
  } catch {
    // keep 'of unknown version'
  }
  return foundVersion;
}

/** Throws UnsupportedDriverError when the loaded pg is older than MIN_PG_VERSION. */
export function assertPgSupported(): void {
  if (!pgSupported()) throw new UnsupportedDriverError('pg', loadedPgVersion(), MIN_PG_VERSION);
}
