/**
 * Finds the MariaDB server binaries (`mariadbd`, `mariadb-install-db`) on this machine and
 * names the system user that runs them (engines refuse to run as root).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AuroraHaError } from '../../core/errors.js';
import { engineUser } from '../processes.js';

/** No MariaDB server on this machine; the message says how to install one. */
export class MariadbNotFoundError extends AuroraHaError {
  constructor(missing: string) {
    super(
      'ENGINE_NOT_FOUND',
      `MariaDB server not found (${missing} is not on PATH, /usr/sbin or /usr/bin): install it with \`apt-get install mariadb-server\``,
    );
  }
}

export interface MariadbBinaries {
  readonly mariadbd: string;
  readonly installDb: string;
}

function findExecutable(names: readonly string[]): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''),
    '/usr/sbin',
    '/usr/bin',
  ];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here, keep looking
      }
    }
  }
  return undefined;
}

let cached: MariadbBinaries | undefined;

/** The binaries, or a {@link MariadbNotFoundError} naming the one that is missing. */
export function findMariadbBinaries(): MariadbBinaries {
  if (cached) return cached;
  const mariadbd = findExecutable(['mariadbd', 'mysqld']);
  if (!mariadbd) throw new MariadbNotFoundError('mariadbd');
  const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db']);
  if (!installDb) throw new MariadbNotFoundError('mariadb-install-db');
  cached = { mariadbd, installDb };
  return cached;
}

/** The account the engine runs as: undefined when we are not root (run as ourselves). */
export interface EngineAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

let account: EngineAccount | null | undefined;

/**
 * When running as root: the emulator's one engine account (see `engineUser` in
 * ../processes.ts), the same for every engine so the control plane may chown a whole work
 * dir to it without locking a running mariadbd out of its own files.
 */
export function engineAccount(): EngineAccount | undefined {
  if (account !== undefined) return account ?? undefined;
  const user = engineUser();
  if (!user) {
    account = null;
    return undefined;
  }
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(user.uid));
  account = { name: line?.split(':')[0] ?? String(user.uid), uid: user.uid, gid: user.gid };
  return account;
}
