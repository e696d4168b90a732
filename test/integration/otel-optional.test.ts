/**
 * `@opentelemetry/api` is an optional peer: aurora-ha (ESM and CommonJS builds in dist/) loads and
 * runs without it, silently; with an unusable copy it says so once as a warning and goes on.
 * A project in a temporary directory links pg and mysql2 but not the API, and copies dist/.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let dir = '';

beforeAll(async () => {
  if (process.env.OTEL_TEST_SKIP_BUILD !== '1') await exec('npm', ['run', 'build'], { cwd: ROOT });
  dir = await mkdtemp(path.join(tmpdir(), 'aurora-ha-otel-'));
  await mkdir(path.join(dir, 'node_modules'));
  await cp(path.join(ROOT, 'dist'), path.join(dir, 'node_modules/aurora-ha/dist'), { recursive: true });
  await cp(path.join(ROOT, 'package.json'), path.join(dir, 'node_modules/aurora-ha/package.json'));
  for (const dep of ['pg', 'mysql2']) {
    await symlink(path.join(ROOT, 'node_modules', dep), path.join(dir, 'node_modules', dep));
  }
}, 180_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const SCRIPT = (kind: 'esm' | 'cjs'): string => `
const specs = ['aurora-ha', 'aurora-ha/pg', 'aurora-ha/mysql2', 'aurora-ha/mysql2/promise'];
const warnings = [];
process.on('warning', (w) => warnings.push(w.code));
${kind === 'esm' ? 'const load = (s) => import(s);' : 'const load = async (s) => require(s);'}
(async () => {
  const out = {};
  for (const s of specs) out[s] = Object.keys(await load(s)).length > 0;
  await new Promise((r) => setTimeout(r, 50));
  console.log(JSON.stringify({ out, warnings }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

async function runIn(kind: 'esm' | 'cjs'): Promise<{ out: Record<string, boolean>; warnings: string[] }> {
  const file = path.join(dir, kind === 'esm' ? 'check.mjs' : 'check.cjs');
  await writeFile(file, SCRIPT(kind));
  const { stdout } = await exec(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: '' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { out: Record<string, boolean>; warnings: string[] };
}

describe('@opentelemetry/api is optional', () => {
  it('absent: every entry point loads, ESM and CommonJS, without a warning', async () => {
    for (const kind of ['esm', 'cjs'] as const) {
      const r = await runIn(kind);
      expect(Object.values(r.out)).toEqual([true, true, true, true]);
      expect(r.warnings).toEqual([]);
    }
  });

  it('unsupported: loads, warns once (AURORA_HA_OTEL_UNSUPPORTED)', async () => {
    const api = path.join(dir, 'node_modules/@opentelemetry/api');
    await mkdir(api, { recursive: true });
    await writeFile(
      path.join(api, 'package.json'),
      JSON.stringify({ name: '@opentelemetry/api', version: '0.9.0', main: 'index.js' }),
    );
    await writeFile(path.join(api, 'index.js'), 'module.exports = { trace: {}, metrics: {} };');
    try {
      for (const kind of ['esm', 'cjs'] as const) {
        const r = await runIn(kind);
        expect(Object.values(r.out)).toEqual([true, true, true, true]);
        expect(r.warnings).toEqual(['AURORA_HA_OTEL_UNSUPPORTED']);
      }
    } finally {
      await rm(path.join(dir, 'node_modules/@opentelemetry'), { recursive: true, force: true });
    }
  });
});
