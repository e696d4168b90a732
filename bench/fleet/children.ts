/**
 * The parent's side of bench:fleet's application processes: spawns child.ts attached to the
 * cluster (`--import tsx --import src/emulator-attach.ts`, `AURORA_HA_EMULATOR` = the
 * cluster's control endpoint, as test/support/attach-spawn.ts does) and talks to it one command
 * and one reply at a time (protocol.ts). close() ends its stdin and waits for it to exit
 * (killed after a bound), so the bench never leaves a process behind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { within } from '../failover/clock.js';
import type { ChildSpec, Command, Reply } from './protocol.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(import.meta.dirname, 'child.ts');
const ATTACH = resolve(ROOT, 'src/emulator-attach.ts');
const EXIT_BOUND_MS = 10_000;
const STDERR_KEPT = 4_000;

export class FleetChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  private buffered = '';
  private stderr = '';
  private readonly exit: Promise<number | null>;
  private exited = false;

  constructor(
    readonly index: number,
    spec: ChildSpec,
    controlEndpoint: string,
  ) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', ATTACH, CHILD, JSON.stringify(spec)],
      {
        cwd: ROOT,
        env: { ...process.env, AURORA_HA_EMULATOR: controlEndpoint },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.exit = new Promise((r) =>
      this.child.once('exit', (code) => {
        this.exited = true;
        r(code);
        this.wake();
      }),
    );
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        try {
          this.replies.push(JSON.parse(line) as Reply);
        } catch {
          this.stderr = `${this.stderr}(stdout) ${line}\n`.slice(-STDERR_KEPT);
        }
        this.wake();
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-STDERR_KEPT);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Send `command`, resolve with the child's reply of kind `kind`. */
  async ask<K extends Reply['e']>(command: Command, kind: K): Promise<Extract<Reply, { e: K }>> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    for (;;) {
      const reply = this.replies.shift();
      if (reply !== undefined) {
        if (reply.e === kind) return reply as Extract<Reply, { e: K }>;
        if (reply.e === 'fatal') throw new Error(`process ${this.index}: ${reply.message}`);
        continue;
      }
      if (this.exited)
        throw new Error(`process ${this.index} exited before its "${kind}" reply\n${this.stderr}`);
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** End its stdin; wait for it to exit by itself (SIGKILL after a bound). */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    const code = await within<number | null | 'timeout'>(this.exit, EXIT_BOUND_MS, 'timeout');
    if (code !== 'timeout') return code;
    this.child.kill('SIGKILL');
    return this.exit;
  }

  /** The end of its stderr, for failure messages. */
  tail(): string {
    return this.stderr;
  }
}

/** `p` attached processes with the same spec (their index aside), started now. */
export function spawnFleet(p: number, spec: Omit<ChildSpec, 'index'>, controlEndpoint: string): FleetChild[] {
  return Array.from({ length: p }, (_, i) => new FleetChild(i, { ...spec, index: i }, controlEndpoint));
}
