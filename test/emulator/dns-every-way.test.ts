/**
 * The emulator's names resolve through every way user code reaches Node's resolver — CommonJS
 * `require('node:dns').lookup`, ESM named imports from `node:dns` and `node:dns/promises`, and
 * `dns.promises.lookup` — while two clusters run, and through none of them once both stopped.
 * Runs in a real ESM child process: the test runner's own module transform would hide how Node
 * binds named imports of built-ins.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Report {
  names: string[];
  expected: string[];
  running: Record<string, string[]>;
  stopped: Record<string, string[]>;
}

const WAYS = [
  'require("node:dns").lookup',
  'import { lookup } from "node:dns"',
  'import { lookup } from "node:dns/promises"',
  'dns.promises.lookup',
];

describe('emulator DNS, every way of resolving', () => {
  it('answers for two running clusters and for neither after both stopped', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/support/dns-ways-child.mjs', 'postgres'],
      { timeout: 90_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Report;
    expect(report.names).toHaveLength(2);
    expect(new Set(report.expected).size).toBe(2);
    expect(Object.keys(report.running).sort()).toEqual([...WAYS].sort());
    for (const way of WAYS) {
      expect(report.running[way], way).toEqual(report.expected);
      expect(report.stopped[way], way).toEqual(['error:ENOTFOUND', 'error:ENOTFOUND']);
    }
  });
});
