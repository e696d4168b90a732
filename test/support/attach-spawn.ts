/**
 * Spawns test/support/attach-child.ts with the attach module preloaded from src through tsx:
 * ESM (`--import src/emulator-attach.ts`) or CommonJS (`--require src/emulator-attach-require.ts`,
 * after tsx's CommonJS hook), and reads its JSON lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(ROOT, 'test/support/attach-child.ts');

export type AttachFlavor = 'esm' | 'cjs';

export function attachArgs(flavor: AttachFlavor): string[] {
  return flavor === 'esm'
    ? ['--import', 'tsx', '--import', resolve(ROOT, 'src/emulator-attach.ts')]
    : [
        '--require',
        'tsx/cjs',
        '--require',
        resolve(ROOT, 'src/emulator-attach-require.ts'),
        '--import',
        'tsx',
      ];
}

export interface AttachChild {
  readonly process: ChildProcessWithoutNullStreams;
  /** Next JSON line whose `e` is `event` (lines already read included), within `timeoutMs`. */
  next(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Exit code (null when killed), within `timeoutMs` (killed and rejected after it). */
  exited(timeoutMs?: number): Promise<number | null>;
  /** Everything the child wrote, for failure messages. */
  transcript(): string;
}

export function spawnAttachChild(
  flavor: AttachFlavor,
  args: string[],
  env: Record<string, string | undefined>,
): AttachChild {
  const child = spawn(process.execPath, [...attachArgs(flavor), CHILD, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        err += `(stdout) ${line}\n`;
      }
      for (const l of [...listeners]) l();
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const transcript = (): string =>
    `${lines.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${err}`;
  let consumed = 0;
  return {
    process: child,
    transcript,
    next(event, timeoutMs = 30_000) {
      return new Promise((resolveLine, reject) => {
        const check = (): boolean => {
          for (; consumed < lines.length; consumed++) {
            const line = lines[consumed];
            if (line?.e === event) {
              consumed++;
              resolveLine(line);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no "${event}" line within ${timeoutMs} ms\n${transcript()}`));
        }, timeoutMs);
        const listener = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          listeners.delete(listener);
        };
        listeners.add(listener);
        void exit.then(() => listener());
      });
    },
    async exited(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the child did not exit by itself within ${timeoutMs} ms\n${transcript()}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
