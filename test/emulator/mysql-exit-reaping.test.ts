/**
 * A process that exits without calling shutdown() leaves no mariadbd and no instance files:
 * the backend's 'exit' handler SIGKILLs its servers and removes their directories.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const scratch = mkdtempSync(join(tmpdir(), 'aurora-ha-mysql-exit-'));
chmodSync(scratch, 0o711); // the engine account must traverse it to reach the work dir

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('MariaDB backend on process exit', () => {
  it('reaps every mariadbd and removes the instance dirs when the parent exits abruptly', () => {
    const workDir = join(scratch, 'work');
    const backendUrl = pathToFileURL(resolve('src/emulator/mysql/mysql-backend.ts')).href;
    const subnet = `127.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
    const script = join(scratch, 'child.mts'); // .mts: ESM (top-level await) outside the package
    writeFileSync(
      script,
      `import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createMysqlBackend } from ${JSON.stringify(backendUrl)};
const workDir = ${JSON.stringify(workDir)};
mkdirSync(workDir, { recursive: true });
const b = createMysqlBackend({ flavor: 'aurora', workDir, user: 'u', password: 'pw', database: 'd' });
const inst = (n: number) => ({ id: 'instance-' + n, address: '${subnet}.' + n, port: 3306, dir: join(workDir, 'instance-' + n) });
await Promise.all([b.startWriter(inst(1)), b.startReader(inst(2), inst(1))]);
console.log('started');
process.exit(0);
`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('started');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes('mariadbd') && l.includes(workDir))).toEqual([]);
    expect(existsSync(workDir) ? readdirSync(workDir) : []).toEqual([]);
  });
});
