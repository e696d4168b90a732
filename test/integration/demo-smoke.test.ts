/**
 * Smoke test of `npm run demo` (demo/failover-demo.ts) on a real PostgreSQL emulator cluster:
 * the command exits cleanly and in time, prints the per-group table, writes the chart and the
 * summary, and the numbers show what the demo is about — aurora-ha writes again soon after the
 * promotion while plain pg waits for the DNS lag.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface GroupSummary {
  group: string;
  notReady: number;
  unrecovered: number;
  afterPromotion: { count: number; p50: number; max: number };
  errors: Record<string, number>;
}

interface DemoSummary {
  dnsLagMs: number;
  groups: GroupSummary[];
  timeline: { kind: string; atMs: number }[];
}

const DNS_LAG_MS = 8000;
const outDir = mkdtempSync(join(tmpdir(), 'aurora-ha-demo-'));

function runDemo(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/failover-demo.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('npm run demo', () => {
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('fails over, reports per group and exits within 60 s', { timeout: 90_000 }, async () => {
    const result = await runDemo([
      '--workers',
      '3',
      '--dns-lag-ms',
      String(DNS_LAG_MS),
      '--steady-ms',
      '1500',
      '--out',
      outDir,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.ms).toBeLessThan(60_000);
    expect(result.stdout).toMatch(/writer-lost/);
    expect(result.stdout).toMatch(/dns-switched/);

    const summary = JSON.parse(readFileSync(join(outDir, 'failover-summary.json'), 'utf8')) as DemoSummary;
    const group = (name: string): GroupSummary => summary.groups.find((g) => g.group === name)!;
    const ha = group('aurora-ha');
    const plain = group('plain pg');
    expect(ha.notReady + plain.notReady).toBe(0);
    expect(ha.unrecovered).toBe(0);
    expect(plain.unrecovered).toBe(0);
    // aurora-ha finds the new writer from the topology: well before the cluster endpoint moves.
    expect(ha.afterPromotion.max).toBeLessThan(DNS_LAG_MS / 2);
    expect(ha.errors.FailoverSuccessError ?? 0).toBeGreaterThan(0);
    // plain pg follows DNS: it cannot write until the endpoint switched, a DNS lag after the promotion.
    expect(plain.afterPromotion.p50).toBeGreaterThan(DNS_LAG_MS * 0.9);

    const html = readFileSync(join(outDir, 'failover-timeline.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('promoted');
  });

  it(
    'says in one line how to install PostgreSQL when it cannot find it, and exits 1',
    { timeout: 30_000 },
    async () => {
      // The emulator looks only in AURORA_HA_PG_BINDIR when it is set.
      const result = await runDemo(['--out', outDir], {
        ...process.env,
        AURORA_HA_PG_BINDIR: join(outDir, 'no-such-dir'),
      });
      expect(result.code).toBe(1);
      const lines = result.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/apt-get install postgresql/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
  );
});
