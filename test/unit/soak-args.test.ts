/**
 * The soak's command line: a run without --report writes its report outside the checkout (it
 * used to write bench/soak/results/latest-*.json, an untracked file after every run); `--auth`
 * picks how the soak logs in (password by default, iam, secrets) and is checked.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultReportPath, parseSoakArgs } from '../../bench/soak/args.js';
import {
  clusterOptionsFor,
  IAM_TOKEN_REUSE_MS,
  IAM_TOKEN_TTL_MS,
  ROTATE_EVERY_MS,
} from '../../bench/soak/auth.js';

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

  describe('--auth', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** parseSoakArgs exits 2 on bad input: the message it wrote to stderr. */
    function refusal(argv: string[]): string {
      let written = '';
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written += String(chunk);
        return true;
      });
      vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
        throw new Error(`exit ${String(code)}`);
      });
      expect(() => parseSoakArgs(argv)).toThrow('exit 2');
      return written;
    }

    it('defaults to password, with the report name of before', () => {
      const args = parseSoakArgs(['--engine', 'mysql']);
      expect(args.auth).toBe('password');
      expect(args.report).toBe(defaultReportPath('mysql', ['failover', 'hostMonitoring']));
      expect(clusterOptionsFor('password')).toEqual({});
    });

    it.each(['password', 'iam', 'secrets'] as const)('accepts --auth %s (also --auth=%s)', (auth) => {
      expect(parseSoakArgs(['--auth', auth]).auth).toBe(auth);
      expect(parseSoakArgs([`--auth=${auth}`]).auth).toBe(auth);
    });

    it('names the default report after the mode too', () => {
      const { report } = parseSoakArgs(['--engine', 'postgres', '--auth', 'iam']);
      expect(path.basename(report)).toBe('latest-postgres-failover+hostMonitoring-iam.json');
      expect(path.basename(parseSoakArgs(['--auth', 'secrets']).report)).toBe(
        'latest-postgres-failover+hostMonitoring-secrets.json',
      );
    });

    it('starts the cluster the mode needs: iam with TLS and 30 s tokens, reused for less; secrets with Secrets Manager', () => {
      expect(clusterOptionsFor('iam')).toEqual({ tls: true, iam: true, iamTokenTtlMs: 30_000 });
      expect(IAM_TOKEN_TTL_MS).toBe(30_000);
      expect(IAM_TOKEN_REUSE_MS).toBeLessThan(IAM_TOKEN_TTL_MS);
      expect(clusterOptionsFor('secrets')).toEqual({ secretsManager: true });
    });

    it('rotates every 2 minutes unless --rotate-every-ms says otherwise', () => {
      expect(ROTATE_EVERY_MS).toBe(120_000);
      expect(parseSoakArgs(['--auth', 'secrets']).rotateEveryMs).toBe(120_000);
      expect(parseSoakArgs(['--auth', 'secrets', '--rotate-every-ms', '20000']).rotateEveryMs).toBe(20_000);
    });

    it.each([
      [['--auth', 'token'], '--auth must be one of password, iam, secrets'],
      [['--auth', ''], '--auth must be one of password, iam, secrets'],
      [['--auth'], '--auth needs a value'],
      [['--auth', 'secrets', '--rotate-every-ms', '500'], '--rotate-every-ms must be ≥ 10000'],
      [['--auth', 'iam', '--rotate-every-ms', '20000'], '--rotate-every-ms applies only with --auth secrets'],
      [['--plugins', 'failover,iam'], '--plugins: iam is added by --auth'],
      [['--plugins', 'secretsManager'], '--plugins: secretsManager is added by --auth'],
    ])('refuses %j', (argv, message) => {
      expect(refusal(argv)).toContain(message);
    });
  });
});
