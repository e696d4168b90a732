/**
 * The aurora-ha entry points the overhead benchmark measures: the built package (`dist/`), as
 * users run it. Measuring `src/` through tsx would bill aurora-ha for a dev-only cost: tsx
 * compiles with esbuild's keepNames, which adds a `__name()` call (and a property store) to
 * every closure created at run time, on the hot path and in every connection's heap.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Mysql2PromiseEntry from '../../src/mysql2-promise.js';
import type * as PgEntry from '../../src/pg.js';

const dist = new URL('../../dist/', import.meta.url);

async function load<T>(file: string): Promise<T> {
  const url = new URL(file, dist);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(
      `${fileURLToPath(url)} is missing: run \`npm run build\` first (npm run bench:overhead does).`,
    );
  }
  return (await import(url.href)) as T;
}

export const builtPg = await load<typeof PgEntry>('pg.js');
export const builtMysql2Promise = await load<typeof Mysql2PromiseEntry>('mysql2-promise.js');
