/**
 * The `aurora-ha emulator` CLI as a user runs it: endpoints printed with names and loopback
 * addresses, stdin commands, clean exit on quit; and one error line (no stack) without an engine.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function runCli(
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/aurora-ha.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('aurora-ha emulator CLI', () => {
  it('prints endpoints, runs commands from stdin and exits cleanly on quit', async () => {
    const { code, stdout, stderr } = await runCli(
      ['emulator', '--engine', 'postgres', '--instances', '2'],
      'topology\ncrash 2\ntopology\nreboot 2\nnonsense\nquit\n',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/writer endpoint +mydb\.cluster-[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com:\d+/);
    expect(stdout).toMatch(/instance-1 +writer +127\.\d+\.\d+\.1:\d+ +instance-1\./);
    // Issue 25: the control endpoint and the exact command line that attaches an application.
    const endpoint = /control endpoint +(127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(endpoint, stdout).toBeDefined();
    expect(stdout).toContain(`AURORA_HA_EMULATOR=${endpoint} node --import aurora-ha/emulator/attach app.js`);
    expect(stdout).toMatch(/instance-2 +down /);
    expect(stderr).toContain('unknown command "nonsense"');
  });

  it('failover flags, hold/release and --max-connections reach the cluster and its timeline', async () => {
    const { code, stdout, stderr } = await runCli(
      ['emulator', '--engine', 'postgres', '--instances', '3', '--max-connections', '500'],
      [
        'hold 3',
        'failover silent keep-down',
        'topology',
        'heal 1',
        'release 3',
        'reboot 1',
        'failover 2 bogus',
        'timeline',
        'quit',
        '',
      ].join('\n'),
    );
    expect(stderr).toContain('unexpected "bogus"');
    expect(code).toBe(0);
    // instance-3 is held, so instance-2 is promoted
    expect(stdout).toMatch(/failover: instance-2 is the writer/);
    expect(stdout).toMatch(/instance-1 +down /);
    const timeline = stdout.slice(stdout.lastIndexOf('cluster-started'));
    const kinds = [...timeline.matchAll(/ms {2}([a-z-]+) /g)].map((m) => m[1]);
    expect(timeline).toMatch(/max 500 connections each/);
    expect(timeline).toMatch(/writer-lost instance-1 \(silent: .*kept down until reboot\)/);
    for (const kind of [
      'reader-held',
      'partitioned',
      'promoted',
      'healed',
      'reader-released',
      'instance-rebooted',
    ])
      expect(kinds).toContain(kind);
    expect(kinds.indexOf('reader-released')).toBeGreaterThan(kinds.indexOf('promoted'));
  });

  it('without PostgreSQL binaries: one line naming the install command, exit 1, no stack', async () => {
    const { code, stderr } = await runCli(['emulator', '--engine', 'postgres'], '', {
      AURORA_HA_PG_BINDIR: '/nonexistent/bin',
    });
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('apt-get install postgresql');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a misspelled flag: one did-you-mean line, exit 2, before anything starts', async () => {
    const { code, stdout, stderr } = await runCli(['emulator', '--dns-lag-MS', '5000'], '');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('aurora-ha: emulator: unknown flag --dns-lag-MS: did you mean --dns-lag-ms?');
    expect(stdout).toBe('');
  });
});
