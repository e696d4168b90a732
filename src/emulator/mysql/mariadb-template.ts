/**
 * The data-directory template cache: `mariadb-install-db` runs once per machine, binary and
 * account; every instance starts from a copy (`cp -a` keeps ownership), so the second
 * cluster skips the install step entirely. Creation is atomic (build in a temp dir, rename),
 * so parallel test processes never see a half-written template.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuroraHaError } from '../../core/errors.js';
import { emulatorTempRoot } from '../processes.js';
import { engineAccount, findMariadbBinaries } from './mariadb-binaries.js';

const run = promisify(execFile);

/**
 * Beside the clusters' work dirs (tmpfs /dev/shm when available: install-db takes ~0.8 s
 * there against ~4 s on this machine's disk, and copies into /dev/shm stay in memory).
 */
function cacheRoot(): string {
  return join(emulatorTempRoot(), 'aurora-ha-cache');
}

function templateDir(): string {
  const { mariadbd } = findMariadbBinaries();
  const st = statSync(mariadbd);
  const who = engineAccount()?.name ?? `uid${process.getuid?.() ?? 0}`;
  return join(cacheRoot(), `mariadb-${st.size}-${Math.trunc(st.mtimeMs)}-${who}`);
}

let pending: Promise<string> | undefined;

/** Path of a clean data dir made by `mariadb-install-db` (created on first use). */
export function mariadbTemplate(): Promise<string> {
  pending ??= ensureTemplate().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function ensureTemplate(): Promise<string> {
  const final = templateDir();
  const data = join(final, 'data');
  // the final directory only ever appears complete (rename below)
  if (existsSync(data)) return data;
  const root = cacheRoot();
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  const building = mkdtempSync(join(root, 'mariadb-building-'));
  chmodSync(building, 0o755);
  const account = engineAccount();
  // a temp dir of its own: the caller's TMPDIR may not be writable by the engine account
  const scratch = join(building, 'tmp');
  mkdirSync(scratch);
  if (account) {
    chownSync(building, account.uid, account.gid);
    chownSync(scratch, account.uid, account.gid);
  }
  const { installDb } = findMariadbBinaries();
  const args = [
    '--no-defaults',
    `--datadir=${join(building, 'data')}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    '--innodb-log-file-size=8M',
    '--innodb-buffer-pool-size=32M',
    `--tmpdir=${scratch}`,
    // bootstrap speed only: the template is written once and copied after a clean shutdown
    '--innodb-doublewrite=0',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-use-native-aio=0',
  ];
  if (account) args.push(`--user=${account.name}`);
  try {
    await run(installDb, args, { cwd: building, timeout: 120_000, env: { ...process.env, TMPDIR: scratch } });
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw new AuroraHaError('ENGINE_INIT', `mariadb-install-db failed in ${building}`, { cause: err });
  }
  rmSync(scratch, { recursive: true, force: true });
  try {
    renameSync(building, final);
  } catch {
    // another process won the race: its template is as good as ours
    rmSync(building, { recursive: true, force: true });
  }
  return data;
}

/** Copy the template into `target` (which must not exist), keeping ownership. */
export async function copyTemplate(target: string): Promise<void> {
  const source = await mariadbTemplate();
  await run('cp', ['-a', source, target], { timeout: 60_000 });
}
