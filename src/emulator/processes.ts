/**
 * Child processes of the emulator: spawning engines as an unprivileged user when we run as
 * root, remembering every live child so nothing outlives the parent (exit handler + a tiny
 * detached watchdog that kills whatever still references a work dir once the parent is gone).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { chown, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunAs {
  uid: number;
  gid: number;
}

let cachedRunAs: RunAs | undefined | null = null;

/** The user engines run as: `nobody` when we are root (engines refuse root), else ourselves. */
export function engineUser(): RunAs | undefined {
  if (cachedRunAs !== null) return cachedRunAs;
  cachedRunAs = undefined;
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
    for (const name of ['nobody', 'postgres']) {
      const line = passwd.find((l) => l.startsWith(`${name}:`));
      if (!line) continue;
      const [, , uid, gid] = line.split(':');
      cachedRunAs = { uid: Number(uid), gid: Number(gid) };
      break;
    }
    if (!cachedRunAs)
      throw new Error('running as root, but no unprivileged user (nobody) exists to run the engines');
  }
  return cachedRunAs;
}

/** Give a directory tree to the engine user (no-op when not root). */
export async function chownTree(path: string): Promise<void> {
  const user = engineUser();
  if (!user) return;
  const walk = async (p: string): Promise<void> => {
    await chown(p, user.uid, user.gid);
    const st = await lstat(p);
    if (st.isDirectory()) {
      for (const entry of await readdir(p)) await walk(join(p, entry));
    }
  };
  await walk(path);
}

const MIN_SHM_FREE_BYTES = 1024 * 1024 * 1024;

/**
 * Where clusters keep their files: /dev/shm when it is a writable directory with 1 GB free (tmpfs: copying a
 * data dir there is ~50x faster than on this machine's disk), else the OS temp dir.
 */
export function emulatorTempRoot(): string {
  const override = process.env.AURORA_HA_EMULATOR_TMPDIR;
  if (override) return override;
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      // Containers often get a 64 MB /dev/shm: a 3-instance cluster plus its template needs ~150 MB.
      const fs = statfsSync('/dev/shm');
      if (fs.bavail * fs.bsize >= MIN_SHM_FREE_BYTES) return '/dev/shm';
    }
  } catch {
    // no usable /dev/shm
  }
  return tmpdir();
}

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort on exit
      }
    }
  });
}

/** Pids of every live descendant of `pid` (Linux /proc; empty elsewhere). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const c of children.get(next) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return !existsSync('/proc/self');
    } catch {
      return false;
    }
  }
}

const treeOf = new WeakMap<ChildProcess, number[]>();

/**
 * Signal a child. SIGKILL hits the whole process tree at once (PostgreSQL's backends sit in
 * their own sessions, so a process-group kill would miss them): an instance "crash" takes
 * every engine process down together, like a machine dying.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const tree = signal === 'SIGKILL' ? descendants(pid) : [];
  if (signal === 'SIGKILL') treeOf.set(child, tree);
  for (const p of [pid, ...tree]) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** Spawn a child (as the engine user, in its own process group) and track it until it exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  installExitHook();
  const user = engineUser();
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...options,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
  return child;
}

/** Run a command to completion (as the engine user); rejects with its stderr on failure. */
export function runTool(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, options);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${out.trim().slice(-800)}`),
        );
    });
  });
}

/** Remember a work dir to remove on process exit (and watch it from a watchdog). */
export function trackDir(dir: string): void {
  installExitHook();
  liveDirs.add(dir);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
}

/**
 * A detached shell that outlives a SIGKILLed parent: once our pid is gone it SIGKILLs every
 * process whose command line mentions `dir` and removes `dir`. Returns a function that
 * stops the watchdog (normal shutdown).
 */
export function startWatchdog(dir: string): () => void {
  const script = [
    'parent=$1; dir=$2',
    'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
    // one grep over every command line (the glob is expanded before grep starts, so grep is
    // not in it): a fork per process took longer than 10 s on a loaded 2-core machine
    'for f in $(grep -laF -- "$dir" /proc/[0-9]*/cmdline 2>/dev/null); do',
    '  p=${f#/proc/}; p=${p%/cmdline}',
    '  [ "$p" = "$$" ] && continue',
    '  kill -9 "$p" 2>/dev/null',
    'done',
    'rm -rf -- "$dir"',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script, 'aurora-ha-watchdog', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
}

/**
 * Wait for a child and every process it had forked to be gone, SIGKILLing the tree after
 * `graceMs`: "stopped" means no engine process is left, not only the parent.
 */
export async function waitExit(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const deadline = Date.now() + graceMs;
  let tree = descendants(pid);
  let killed = false;
  for (;;) {
    const parentGone = child.exitCode !== null || child.signalCode !== null;
    if (!parentGone) tree = [...new Set([...tree, ...descendants(pid)])];
    const known = [...tree, ...(treeOf.get(child) ?? [])];
    if (parentGone && !known.some(processAlive)) return;
    if (!killed && Date.now() >= deadline) {
      killed = true;
      killGroup(child, 'SIGKILL');
      for (const p of known) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (Date.now() >= deadline + 5_000) return;
    // ref'd on purpose: a caller awaits this bounded wait (an unref'd one lets `await stop()` end the process early)
    await new Promise((r) => setTimeout(r, 15));
  }
}
