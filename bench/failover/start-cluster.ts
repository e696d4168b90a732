/**
 * Starts an emulated cluster for the demo and the benchmark. When the engine is not installed,
 * fails with EngineMissingError, whose message is one line with the install command (the
 * callers print it and exit 1, no stack trace).
 */
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AuroraHaError } from '../../src/index.js';
import { startCluster, type EmulatedCluster, type StartClusterOptions } from '../../src/emulator.js';

export class EngineMissingError extends Error {
  override readonly name = 'EngineMissingError';
}

const INSTALL_HINT: Readonly<Record<StartClusterOptions['engine'], string>> = {
  postgres:
    'PostgreSQL is not installed: install it (Debian/Ubuntu: `sudo apt-get install postgresql`, macOS: `brew install postgresql@15`) and run again.',
  mysql:
    'MariaDB is not installed: install it (Debian/Ubuntu: `sudo apt-get install mariadb-server`, macOS: `brew install mariadb`) and run again.',
};

function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((dir) => existsSync(join(dir, program)));
}

function postgresInstalled(): boolean {
  if (onPath('pg_ctl')) return true;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return false;
  return readdirSync(root).some((version) => existsSync(join(root, version, 'bin', 'pg_ctl')));
}

function mariadbInstalled(): boolean {
  return ['mariadbd', 'mysqld'].some((p) => onPath(p) || existsSync(join('/usr/sbin', p)));
}

export function engineInstalled(engine: StartClusterOptions['engine']): boolean {
  return engine === 'postgres' ? postgresInstalled() : mariadbInstalled();
}

/** startCluster, with a one-line explanation instead of a stack trace when the engine is missing. */
export async function startClusterOrExplain(options: StartClusterOptions): Promise<EmulatedCluster> {
  try {
    return await startCluster(options);
  } catch (err) {
    // The emulator names the missing engine itself; our own check covers any other failure to find one.
    if (err instanceof AuroraHaError && err.code === 'ENGINE_NOT_FOUND')
      throw new EngineMissingError(err.message, { cause: err });
    if (!engineInstalled(options.engine))
      throw new EngineMissingError(INSTALL_HINT[options.engine], { cause: err });
    throw err;
  }
}
