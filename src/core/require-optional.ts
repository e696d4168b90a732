/**
 * Loading an optional peer package synchronously (`@opentelemetry/api`, the AWS SDK clients) in
 * both the ESM and the CommonJS build: from aurora-ha's own location first (where npm installs
 * its peers), then from the working directory (an application that installed it beside a
 * linked or global aurora-ha).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** This module's own file: `__filename` in the CommonJS build, `import.meta.url` in the ESM one. */
function ownLocation(): string | undefined {
  try {
    if (typeof __filename === 'string' && __filename !== '') return __filename;
  } catch {
    // ESM: no __filename
  }
  try {
    return import.meta.url;
  } catch {
    return undefined;
  }
}

/** `require(name)` from aurora-ha's own location, then from the working directory; throws the last failure. */
export function requireOptional(name: string): unknown {
  const bases = [ownLocation(), path.join(process.cwd(), 'noop.js')];
  let last: unknown;
  for (const base of bases) {
    if (base === undefined || base === '') continue;
    try {
      return createRequire(base)(name);
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new Error(`Cannot find module '${name}'`);
}
