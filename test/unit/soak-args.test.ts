/**
 * The soak's command line: a run without --report writes its report outside the checkout (it
 * used to write bench/soak/results/latest-*.json, an untracked file after every run).
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultReportPath, parseSoakArgs } from '../../bench/soak/args.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Whether git would list `file` as untracked (inside the checkout and not ignored). */
async function untrackedInCheckout(file: string): Promise<boolean> {
  const rel = path.relative(root, path.resolve(root, file));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  // exit 0: ignored; exit 1: not ignored
  return exec('git', ['check-ignore', '-q', rel], { cwd: root }).then(
    () => false,
    () => true,
  );
}

describe('soak arguments', () => {
  it.each([
    [['--engine', 'postgres']],
    [['--engine', 'mysql', '--plugins', 'failover2,hostMonitoring']],
    [['--plugins', '']],
  ])('writes the default report where git does not see it (%j)', async (argv) => {
    const { report } = parseSoakArgs(argv);
    expect(await untrackedInCheckout(report)).toBe(false);
    expect(report.startsWith(path.join(tmpdir(), 'aurora-ha-soak') + path.sep)).toBe(true);
  });

  it('names the default report after the engine and plugins', () => {
    expect(parseSoakArgs(['--engine', 'mysql', '--plugins', 'failover2,hostMonitoring']).report).toBe(
      defaultReportPath('mysql', ['failover2', 'hostMonitoring']),
    );
    expect(path.basename(defaultReportPath('postgres', []))).toBe('latest-postgres-none.json');
  });

  it('writes to --report when given', () => {
    const report = 'bench/soak/results/postgres-failover-10min-100conn.json';
    expect(parseSoakArgs(['--report', report]).report).toBe(report);
  });
});
