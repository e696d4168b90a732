/**
 * The initdb template cache: one cleanly shut-down data dir per (PostgreSQL version, flavour,
 * credentials), made once per machine and user under the temp dir, copied for every instance.
 * Built in a private dir and renamed into place, so parallel test processes don't clash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatedFlavor } from '../engine.js';
import { chownTree, emulatorTempRoot, engineUser, runTool, spawnTracked, waitExit } from '../processes.js';
import { ADMIN_USER, withAdmin, waitReady } from './pg-admin.js';
import type { PgBinaries } from './pg-binaries.js';
import { metadataSql } from './pg-metadata-sql.js';

/** Bump when the template's content changes. */
const TEMPLATE_VERSION = '4';

/** Local admin by socket; replication by TCP without password; everyone else by SCRAM. */
const PG_HBA = `local all all trust
host replication all 127.0.0.0/8 trust
host all ${ADMIN_USER} 127.0.0.0/8 reject
host all all 127.0.0.0/8 scram-sha-256
`;

export interface TemplateSpec {
  flavor: EmulatedFlavor;
  user: string;
  password: string;
  database: string;
}

export function cacheRoot(): string {
  const uid = engineUser()?.uid ?? process.getuid?.() ?? 0;
  return join(emulatorTempRoot(), `aurora-ha-cache-${uid}`);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Path of a ready template data dir, building it when missing. */
export async function ensureTemplate(bins: PgBinaries, spec: TemplateSpec): Promise<string> {
  const key = createHash('sha256')
    .update([TEMPLATE_VERSION, bins.dir, spec.flavor, spec.user, spec.password, spec.database].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const root = cacheRoot();
  const target = join(root, `pg${bins.version}-${spec.flavor}-${key}`);
  if (existsSync(join(target, 'PG_VERSION'))) return target;

  await mkdir(root, { recursive: true, mode: 0o755 });
  await chownTree(root).catch(() => undefined);
  const build = join(root, `build-${randomBytes(4).toString('hex')}`);
  const data = join(build, 'data');
  await mkdir(build, { mode: 0o755 });
  await chownTree(build);
  try {
    await runTool(bins.initdb, [
      '-D',
      data,
      '-U',
      ADMIN_USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--wal-segsize=1',
      '-N',
    ]);
    await writeFile(join(data, 'pg_hba.conf'), PG_HBA);
    await chownTree(join(data, 'pg_hba.conf'));
    const port = 5432;
    const child = spawnTracked(bins.postgres, [
      '-D',
      data,
      '-c',
      'listen_addresses=',
      '-c',
      `unix_socket_directories=${build}`,
      '-c',
      `port=${port}`,
      '-c',
      'fsync=off',
      '-c',
      'dynamic_shared_memory_type=mmap',
    ]);
    child.stdout?.resume();
    child.stderr?.resume();
    try {
      await waitReady(build, port, () => child.exitCode === null, 30_000, 'template postgres');
      await withAdmin(build, port, 'template1', async (c) => {
        await c.query(metadataSql(spec.flavor));
      });
      await withAdmin(build, port, 'postgres', async (c) => {
        await c.query(`CREATE ROLE ${quoteIdent(spec.user)} LOGIN PASSWORD ${quoteLiteral(spec.password)}`);
        await c.query(`CREATE DATABASE ${quoteIdent(spec.database)} OWNER ${quoteIdent(spec.user)}`);
        await c.query('CHECKPOINT');
      });
    } finally {
      child.kill('SIGINT');
      await waitExit(child, 15_000);
    }
    try {
      await rename(data, target);
    } catch (err) {
      if (!existsSync(join(target, 'PG_VERSION'))) throw err;
    }
    return target;
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}
