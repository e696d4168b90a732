/**
 * Hygiene when the parent dies without cleaning up: a process that started a cluster is
 * SIGKILLed; the emulator's watchdog must kill the engines and remove the temp dir.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { engineProcesses } from '../support/engine-processes.js';

describe('emulator hygiene', () => {
  it('a SIGKILLed parent leaves no engine process and no temp dir behind', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cluster-child.ts', 'postgres'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited early (${String(code)})`)));
    });
    const info = JSON.parse(line) as { subnet: string; port: number; pids: number[]; cmdlines: string[] };
    expect(info.pids.length).toBeGreaterThanOrEqual(2);
    const dataDir = /-D (\S+)/.exec(info.cmdlines[0] ?? '')?.[1] as string;
    const workDir = dirname(dirname(dataDir));
    expect(existsSync(workDir)).toBe(true);

    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (
      Date.now() < deadline &&
      (engineProcesses(info.subnet, info.port).length > 0 || existsSync(workDir))
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(engineProcesses(info.subnet, info.port)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  });
});
