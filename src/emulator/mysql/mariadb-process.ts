/**
 * One mariadbd process: its command line (per-instance settings only there, never in a
 * config file), start and wait until it answers, stop, SIGKILL. Every live process is also
 * SIGKILLed synchronously if our own process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AuroraHaError } from '../../core/errors.js';
import { adminQuery } from './mariadb-admin.js';
import { engineAccount, findMariadbBinaries } from './mariadb-binaries.js';

export interface MariadbProcessSpec {
  /** Instance id, for error messages. */
  readonly id: string;
  readonly dataDir: string;
  readonly socket: string;
  readonly tmpDir: string;
  readonly errorLog: string;
  readonly pidFile: string;
  /** Address and port mariadbd itself listens on (replication and the metadata proxy use them). */
  readonly address: string;
  readonly port: number;
  readonly serverId: number;
  /** --max-connections. */
  readonly maxConnections: number;
  /** TLS only (`require_secure_transport`) with these certificate files; the unix socket stays open to the admin. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

function commandLine(spec: MariadbProcessSpec, readOnly: boolean): string[] {
  const args = [
    '--no-defaults',
    `--datadir=${spec.dataDir}`,
    `--socket=${spec.socket}`,
    `--bind-address=${spec.address}`,
    `--port=${spec.port}`,
    `--pid-file=${spec.pidFile}`,
    `--log-error=${spec.errorLog}`,
    `--tmpdir=${spec.tmpDir}`,
    `--server-id=${spec.serverId}`,
    `--read-only=${readOnly ? 1 : 0}`,
    '--log-basename=mariadb',
    '--log-bin',
    '--log-slave-updates=1',
    '--binlog-format=ROW',
    '--slave-net-timeout=10',
    // semi-sync on every instance (both sides): acknowledged commits are on a replica
    '--rpl-semi-sync-master-enabled=ON',
    '--rpl-semi-sync-slave-enabled=ON',
    '--rpl-semi-sync-master-wait-point=AFTER_SYNC',
    '--rpl-semi-sync-master-wait-no-slave=OFF',
    '--rpl-semi-sync-master-timeout=5000',
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--performance-schema=OFF',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=8M',
    '--innodb-doublewrite=0',
    '--innodb-use-native-aio=0',
    // a process crash (SIGKILL) loses nothing with these: the OS cache survives it
    '--innodb-flush-log-at-trx-commit=2',
    '--sync-binlog=0',
    '--key-buffer-size=1M',
    '--aria-pagecache-buffer-size=2M',
    `--max-connections=${spec.maxConnections}`,
    // mariadbd lowers max_connections to fit this; the default is too low for thousands
    `--open-files-limit=${Math.max(10_000, spec.maxConnections * 5)}`,
  ];
  if (spec.tls) {
    args.push(
      `--ssl-cert=${spec.tls.certFile}`,
      `--ssl-key=${spec.tls.keyFile}`,
      `--ssl-ca=${spec.tls.caFile}`,
      '--tls-version=TLSv1.2,TLSv1.3',
      // every TCP client (replicas and the metadata proxy included) must use TLS; unix sockets count as secure
      '--require-secure-transport=ON',
    );
  }
  const account = engineAccount();
  if (account) args.push(`--user=${account.name}`);
  return args;
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines.slice(-5).join(' | ');
  } catch {
    const who = engineAccount()?.name;
    return who
      ? `no error log written: can the account "${who}" reach ${path} (every parent directory traversable)?`
      : '(no error log)';
  }
}

/** Unref'd: whoever awaits a start holds the event loop open (keep-alive.ts). */
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class MariadbProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: MariadbProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Spawn mariadbd and resolve once it answers a query on its admin socket. */
  async start(readOnly: boolean): Promise<void> {
    if (this.child) return;
    installExitHook();
    const account = engineAccount();
    const child = spawn(findMariadbBinaries().mariadbd, commandLine(this.spec, readOnly), {
      stdio: 'ignore',
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    this.child = child;
    live.add(child);
    let exitCode: number | null | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        live.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
      child.once('error', () => {
        exitCode = -1;
        live.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exitCode !== undefined) {
        throw new AuroraHaError(
          'ENGINE_START',
          `mariadbd of ${this.spec.id} exited during start (code ${String(exitCode)}): ${logTail(this.spec.errorLog)}`,
        );
      }
      try {
        await adminQuery(this.spec.socket, 'SELECT 1');
        return;
      } catch {
        if (Date.now() > deadline) {
          await this.kill();
          throw new AuroraHaError(
            'ENGINE_START',
            `mariadbd of ${this.spec.id} did not answer within 60 s: ${logTail(this.spec.errorLog)}`,
          );
        }
        await sleep(40);
      }
    }
  }

  /** SIGKILL without waiting (for process 'exit' handlers, which cannot await). */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  /** SIGKILL, like an instance crash; resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Clean shutdown (SIGTERM), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    timer.unref();
    await this.exited;
    clearTimeout(timer);
  }
}
