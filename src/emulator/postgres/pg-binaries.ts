/**
 * Finds the PostgreSQL server binaries (initdb, postgres, pg_basebackup): the newest
 * /usr/lib/postgresql/<n>/bin first, then PATH (or only AURORA_HA_PG_BINDIR when set). No engine →
 * one clear error line.
 */
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AuroraHaError } from '../../core/errors.js';

export interface PgBinaries {
  dir: string;
  version: string;
  initdb: string;
  postgres: string;
  pgBasebackup: string;
}

/** No PostgreSQL server on this machine; the message says how to install one. */
export class PostgresNotFoundError extends AuroraHaError {
  constructor() {
    super(
      'ENGINE_NOT_FOUND',
      'PostgreSQL server binaries (initdb, postgres, pg_basebackup) not found in /usr/lib/postgresql/*/bin or PATH: install them with `apt-get install postgresql`',
    );
  }
}

function complete(dir: string): boolean {
  return ['initdb', 'postgres', 'pg_basebackup'].every((tool) => existsSync(join(dir, tool)));
}

let cached: PgBinaries | undefined;

export function findPgBinaries(): PgBinaries {
  if (cached) return cached;
  const candidates: string[] = [];
  const root = '/usr/lib/postgresql';
  const forced = process.env.AURORA_HA_PG_BINDIR;
  if (forced) candidates.push(forced);
  else if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  if (!forced) for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(dir);
  const dir = candidates.find(complete);
  if (!dir) {
    throw new PostgresNotFoundError();
  }
  const version = /postgresql\/(\d+)\//.exec(dir + '/')?.[1] ?? 'path';
  cached = {
    dir,
    version,
    initdb: join(dir, 'initdb'),
    postgres: join(dir, 'postgres'),
    pgBasebackup: join(dir, 'pg_basebackup'),
  };
  return cached;
}
