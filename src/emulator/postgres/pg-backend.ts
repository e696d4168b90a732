/**
 * PostgreSQL EngineBackend: a primary and hot standbys with real streaming replication.
 * Instances start from copies of the template (standbys cloned before the primary's first
 * start, so a cluster starts in parallel); later replicas come from pg_basebackup.
 * Per-instance settings are passed on the command line; primary_conninfo (changed at run
 * time by re-pointing) and synchronous_standby_names live in postgresql.auto.conf.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_MAX_CONNECTIONS,
  type BackendInstance,
  type BackendOptions,
  type EngineBackend,
  type TopologyRecord,
} from '../engine.js';
import { AuroraHaError } from '../../core/errors.js';
import { chownTree, killGroup, runTool, spawnTracked, waitExit } from '../processes.js';
import { ADMIN_USER, adminQuery, lsnToBigInt, waitReady, withAdmin } from './pg-admin.js';
import { findPgBinaries, type PgBinaries } from './pg-binaries.js';
import { heartbeatStatement, RDS_EXTENSIONS, REPLAYED_HEARTBEAT, topologyRows } from './pg-metadata-sql.js';
import { KeptSessions } from '../kept-sessions.js';
import { ensureTemplate } from './pg-template.js';
import { waitServing } from '../tls/served-certificate.js';

/**
 * Client authentication when the cluster serves TLS: clients only over TLS (`hostssl`, SCRAM),
 * every plain TCP client refused. Replication stays allowed by `host` on loopback (the
 * standbys' libpq still negotiates TLS first, its default sslmode being `prefer`).
 */
const PG_HBA_TLS = `local all all trust
host replication all 127.0.0.0/8 trust
host all ${ADMIN_USER} 127.0.0.0/8 reject
hostssl all all 127.0.0.0/8 scram-sha-256
hostnossl all all 0.0.0.0/0 reject
hostnossl all all ::/0 reject
`;

/** The group IAM users belong to, like RDS's `rds_iam` (`GRANT rds_iam TO …`). */
export const RDS_IAM_ROLE = 'rds_iam';

/**
 * IAM lines, first in the file (`iam: true`): a member of `rds_iam` over TLS is checked by
 * the cluster's LDAP responder (simple bind, password = the token; the per-instance suffix
 * tells the responder which instance the client reached), and refused without TLS, so
 * neither a plain connection nor the role's password ever logs it in.
 */
export function iamHbaLines(ldapPort: number, instanceId: string): string {
  return `hostssl all +${RDS_IAM_ROLE} 127.0.0.0/8 ldap ldapserver=127.0.0.1 ldapport=${ldapPort} ldapprefix="" ldapsuffix="@${instanceId}"
host all +${RDS_IAM_ROLE} 0.0.0.0/0 reject
host all +${RDS_IAM_ROLE} ::/0 reject
`;
}

interface Running {
  child: ChildProcess;
  inst: BackendInstance;
}

function conninfo(writer: BackendInstance, standbyId: string): string {
  return `host=${writer.address} port=${writer.port} user=${ADMIN_USER} application_name=${standbyId} connect_timeout=2`;
}

export class PostgresBackend implements EngineBackend {
  readonly engine = 'postgres' as const;
  private readonly bins: PgBinaries;
  private readonly running = new Map<string, Running>();
  /** Set by shutdown(): no server may start afterwards. */
  private closed = false;
  private tlsHbaWritten: Promise<void> | undefined;
  /** Writer started from the template and never replaced: standbys may be plain template copies. */
  private templateWriter: string | undefined;
  private templatePath: Promise<string> | undefined;
  /** Kept admin sessions for the replica-lag heartbeat (ten statements a second). */
  private readonly heartbeats = new KeptSessions<pg.Client>({
    open: (id) => this.openHeartbeatSession(id),
    destroy: (c) => void c.end().catch(() => undefined),
  });

  constructor(private readonly options: BackendOptions) {
    this.bins = findPgBinaries();
  }

  private async openHeartbeatSession(id: string): Promise<pg.Client> {
    const inst = this.running.get(id)?.inst;
    if (!inst) throw new AuroraHaError('EMULATOR_STATE', `PostgreSQL ${id} is not running`);
    const c = new pg.Client({
      host: inst.dir,
      port: inst.port,
      user: ADMIN_USER,
      database: this.options.database,
      connectionTimeoutMillis: 2_000,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      // the heartbeat never waits for a standby's acknowledgement (a held one still gives it)
      await c.query('SET synchronous_commit = local');
    } catch (err) {
      void c.end().catch(() => undefined);
      throw err;
    }
    return c;
  }

  private template(): Promise<string> {
    this.templatePath ??= ensureTemplate(this.bins, this.options);
    return this.templatePath;
  }

  private dataDir(inst: BackendInstance): string {
    return join(inst.dir, 'data');
  }

  private async copyTemplate(inst: BackendInstance): Promise<void> {
    const template = await this.template();
    await mkdir(inst.dir, { recursive: true });
    await chownTree(inst.dir);
    await runTool('cp', ['-a', template, this.dataDir(inst)]);
  }

  private args(inst: BackendInstance): string[] {
    const settings: Record<string, string> = {
      listen_addresses: inst.address,
      port: String(inst.port),
      unix_socket_directories: inst.dir,
      cluster_name: inst.id,
      'aurora_ha.instance_id': inst.id,
      fsync: 'off',
      // DSM segments in the data dir (removed with it), not in /dev/shm where a SIGKILLed server leaks them
      dynamic_shared_memory_type: 'mmap',
      shared_buffers: '16MB',
      // Room for 1,000 application connections, plus the extra ones each opens while failing
      // over and the monitors (docs/emulator.md states what each slot costs in memory)
      max_connections: String(this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
      wal_keep_size: '256MB',
      wal_retrieve_retry_interval: '100ms',
      wal_receiver_status_interval: '1s',
      wal_sender_timeout: '10s',
      wal_receiver_timeout: '10s',
      hot_standby_feedback: 'on',
      logging_collector: 'off',
    };
    if (this.options.flavor === 'aurora') settings['rds.extensions'] = RDS_EXTENSIONS;
    if (inst.tls) {
      settings.ssl = 'on';
      settings.ssl_cert_file = inst.tls.certFile;
      settings.ssl_key_file = inst.tls.keyFile;
      settings.ssl_min_protocol_version = 'TLSv1.2';
      settings.hba_file = this.tlsHbaFile(inst);
    }
    const args = ['-D', this.dataDir(inst)];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    return args;
  }

  private tlsHbaFile(inst?: BackendInstance): string {
    // with IAM, one file per instance: its ldapsuffix names the instance
    if (inst && this.options.iam?.ldapPort !== undefined)
      return join(this.options.workDir, `pg_hba_tls_${inst.id}.conf`);
    return join(this.options.workDir, 'pg_hba_tls.conf');
  }

  /** The instance's IAM pg_hba file, rewritten atomically before each start (content fixed per instance). */
  private async writeIamHba(inst: BackendInstance, ldapPort: number): Promise<void> {
    const file = this.tlsHbaFile(inst);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, iamHbaLines(ldapPort, inst.id) + PG_HBA_TLS, { mode: 0o644 });
    await chownTree(tmp);
    await rename(tmp, file);
  }

  /** On the writer: the `rds_iam` group and the IAM user, who can do what the test user can. */
  private async createIamUser(inst: BackendInstance, user: string): Promise<void> {
    const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    await withAdmin(inst.dir, inst.port, 'postgres', async (c) => {
      await c.query(`CREATE ROLE ${ident(RDS_IAM_ROLE)} NOLOGIN`);
      // no password: pg_hba sends its TLS logins to the LDAP responder and refuses the others
      await c.query(
        `CREATE ROLE ${ident(user)} LOGIN PASSWORD NULL IN ROLE ${ident(RDS_IAM_ROLE)}, ${ident(this.options.user)}`,
      );
    });
  }

  /** A standby serves IAM logins once the IAM user has replayed on it. */
  private async waitIamUser(inst: BackendInstance, user: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await adminQuery<{ n: number }>(
        inst.dir,
        inst.port,
        `SELECT count(*)::int AS n FROM pg_roles WHERE rolname = '${user.replace(/'/g, "''")}'`,
      ).catch(() => []);
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new AuroraHaError(
      'EMULATOR_STATE',
      `the IAM user has not replayed on ${inst.id} after ${timeoutMs} ms`,
    );
  }

  /**
   * Written once per cluster, and atomically (temp file + rename): every instance's server reads
   * this one file, and rewriting it in place while another instance started made that server
   * read an empty file ("contains no entries", FATAL) — seen once in CI.
   */
  private writeTlsHba(): Promise<void> {
    this.tlsHbaWritten ??= (async () => {
      const tmp = `${this.tlsHbaFile()}.tmp`;
      await writeFile(tmp, PG_HBA_TLS, { mode: 0o644 });
      await chownTree(tmp);
      await rename(tmp, this.tlsHbaFile());
    })();
    return this.tlsHbaWritten;
  }

  /** PostgreSQL reloads its certificate files on SIGHUP (pg_reload_conf). */
  async reloadTls(inst: BackendInstance): Promise<void> {
    if (!inst.tls || !this.running.has(inst.id)) return;
    await adminQuery(inst.dir, inst.port, 'SELECT pg_reload_conf()');
    await waitServing('postgres', inst.address, inst.port, await readFile(inst.tls.certFile, 'utf8'));
  }

  private async launch(inst: BackendInstance): Promise<void> {
    // Background recovery (an old writer rebuilt as a reader) may reach this after stop():
    // starting a server then would leave it running on a deleted data dir.
    if (this.closed) throw new AuroraHaError('EMULATOR_STATE', 'PostgreSQL backend already shut down');
    const ldapPort = this.options.iam?.ldapPort;
    if (inst.tls && ldapPort !== undefined) await this.writeIamHba(inst, ldapPort);
    else if (inst.tls) await this.writeTlsHba();
    const log = openSync(join(inst.dir, 'postgres.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawnTracked(this.bins.postgres, this.args(inst), { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    this.running.set(inst.id, { child, inst });
    child.once('exit', () => {
      if (this.running.get(inst.id)?.child === child) this.running.delete(inst.id);
    });
    try {
      await waitReady(
        inst.dir,
        inst.port,
        () => child.exitCode === null && child.signalCode === null,
        30_000,
        `postgres ${inst.id}`,
      );
    } catch (err) {
      const log = await readFile(join(inst.dir, 'postgres.log'), 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-12).join(' | ');
      throw new Error(`${err instanceof Error ? err.message : String(err)}; log: ${tail}`, { cause: err });
    }
  }

  async startWriter(inst: BackendInstance): Promise<void> {
    this.templateWriter = inst.id;
    await this.copyTemplate(inst);
    await this.launch(inst);
    if (this.options.iam) await this.createIamUser(inst, this.options.iam.user);
  }

  async startReader(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    if (this.templateWriter === writer.id) {
      await this.copyTemplate(inst);
      const data = this.dataDir(inst);
      await writeFile(join(data, 'standby.signal'), '');
      await appendFile(
        join(data, 'postgresql.auto.conf'),
        `primary_conninfo = '${conninfo(writer, inst.id)}'\n`,
      );
      await chownTree(data);
    } else {
      await this.baseBackup(inst, writer);
    }
    await this.launch(inst);
    await this.waitStreaming(inst);
    if (this.options.iam) await this.waitIamUser(inst, this.options.iam.user);
  }

  private async baseBackup(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    await mkdir(inst.dir, { recursive: true });
    await rm(this.dataDir(inst), { recursive: true, force: true });
    await chownTree(inst.dir);
    await runTool(this.bins.pgBasebackup, [
      '-h',
      writer.address,
      '-p',
      String(writer.port),
      '-U',
      ADMIN_USER,
      '-D',
      this.dataDir(inst),
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '-N',
    ]);
    await appendFile(
      join(this.dataDir(inst), 'postgresql.auto.conf'),
      `primary_conninfo = '${conninfo(writer, inst.id)}'\n`,
    );
    await chownTree(this.dataDir(inst));
  }

  private async waitStreaming(inst: BackendInstance, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await adminQuery<{ status: string }>(
        inst.dir,
        inst.port,
        'SELECT status FROM pg_stat_wal_receiver',
      ).catch(() => []);
      if (rows[0]?.status === 'streaming') return;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error(`standby ${inst.id} is not streaming after ${timeoutMs} ms`);
  }

  async promote(inst: BackendInstance): Promise<void> {
    await adminQuery(inst.dir, inst.port, 'SELECT pg_promote(true, 30)');
    if (this.templateWriter !== inst.id) this.templateWriter = undefined;
  }

  async repoint(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    await withAdmin(inst.dir, inst.port, 'postgres', async (c) => {
      await c.query(`ALTER SYSTEM SET primary_conninfo = '${conninfo(writer, inst.id)}'`);
      await c.query('SELECT pg_reload_conf()');
    });
    await this.waitStreaming(inst);
  }

  async replicationPosition(inst: BackendInstance): Promise<bigint> {
    const rows = await adminQuery<{ lsn: string | null }>(
      inst.dir,
      inst.port,
      'SELECT COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text AS lsn',
    );
    return lsnToBigInt(rows[0]?.lsn);
  }

  async crash(inst: BackendInstance): Promise<void> {
    const r = this.running.get(inst.id);
    if (!r) return;
    killGroup(r.child, 'SIGKILL');
    await waitExit(r.child, 5_000);
    releaseSysvSegment(this.dataDir(inst));
  }

  async stop(inst: BackendInstance): Promise<void> {
    const r = this.running.get(inst.id);
    if (!r) return;
    killGroup(r.child, 'SIGINT');
    await waitExit(r.child, 15_000);
  }

  async restart(inst: BackendInstance): Promise<void> {
    if (this.running.has(inst.id)) await this.stop(inst);
    await this.launch(inst);
  }

  async rebuildAsReader(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    await this.crash(inst);
    if (this.templateWriter === inst.id) this.templateWriter = undefined;
    await this.baseBackup(inst, writer);
    await this.launch(inst);
    await this.waitStreaming(inst);
  }

  async pauseReplay(inst: BackendInstance): Promise<void> {
    await adminQuery(inst.dir, inst.port, 'SELECT pg_wal_replay_pause()');
    // "pause requested" becomes "paused" at the next WAL record; the control plane writes the
    // topology every second, so one always comes
    const deadline = Date.now() + 15_000;
    for (;;) {
      const rows = await adminQuery<{ state: string }>(
        inst.dir,
        inst.port,
        'SELECT pg_get_wal_replay_pause_state() AS state',
      );
      if (rows[0]?.state === 'paused') return;
      if (Date.now() > deadline)
        throw new AuroraHaError('EMULATOR_STATE', `replay on ${inst.id} did not pause within 15 s`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  async resumeReplay(inst: BackendInstance): Promise<void> {
    await adminQuery(inst.dir, inst.port, 'SELECT pg_wal_replay_resume()');
  }

  /** Commits wait for one standby only while one is there (else writes would hang). */
  async setSynchronous(writer: BackendInstance, on: boolean): Promise<void> {
    await withAdmin(writer.dir, writer.port, 'postgres', async (c) => {
      await c.query(
        on
          ? "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'"
          : 'ALTER SYSTEM RESET synchronous_standby_names',
      );
      await c.query('SELECT pg_reload_conf()');
    });
  }

  async writeTopology(writer: BackendInstance, rows: readonly TopologyRecord[]): Promise<void> {
    const insert = topologyRows(rows);
    await withAdmin(writer.dir, writer.port, this.options.database, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query('SET LOCAL synchronous_commit = local');
        await c.query('DELETE FROM aurora_ha.replica_status');
        if (rows.length > 0) await c.query(insert.text, insert.values);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async writeHeartbeat(
    writer: BackendInstance,
    beatMs: number,
    lags: ReadonlyMap<string, number> | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const { text, values } = heartbeatStatement(beatMs, lags);
    await this.heartbeats.use(writer.id, timeoutMs, (c) => c.query(text, values));
  }

  async replayedHeartbeat(inst: BackendInstance, timeoutMs: number): Promise<number> {
    const rows = await this.heartbeats.use(
      inst.id,
      timeoutMs,
      async (c) => (await c.query<{ beat: number }>(REPLAYED_HEARTBEAT)).rows,
    );
    return rows[0]?.beat ?? 0;
  }

  /** A member of the test user's role (its privileges), logging in by SCRAM like it. */
  async createLoginUser(writer: BackendInstance, user: string, password: string): Promise<void> {
    await withAdmin(writer.dir, writer.port, 'postgres', async (c) => {
      await c.query(
        `CREATE ROLE ${c.escapeIdentifier(user)} LOGIN PASSWORD ${c.escapeLiteral(password)} IN ROLE ${c.escapeIdentifier(this.options.user)}`,
      );
    });
  }

  async setPassword(writer: BackendInstance, user: string, password: string): Promise<void> {
    await withAdmin(writer.dir, writer.port, 'postgres', async (c) => {
      await c.query(`ALTER ROLE ${c.escapeIdentifier(user)} PASSWORD ${c.escapeLiteral(password)}`);
    });
  }

  async passwordVerifier(inst: BackendInstance, user: string): Promise<string | undefined> {
    const rows = await withAdmin(
      inst.dir,
      inst.port,
      'postgres',
      async (c) =>
        (
          await c.query<{ v: string | null }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [
            user,
          ])
        ).rows,
    );
    return rows[0]?.v ?? undefined;
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.heartbeats.closeAll();
    const all = [...this.running.values()];
    for (const r of all) killGroup(r.child, 'SIGKILL');
    await Promise.all(all.map((r) => waitExit(r.child, 5_000)));
    for (const r of all) releaseSysvSegment(this.dataDir(r.inst));
    this.running.clear();
  }
}

/**
 * A SIGKILLed postmaster leaves its small System V shared-memory segment (PostgreSQL's start-up
 * interlock) behind; PostgreSQL removes it only when it starts again on the same data directory,
 * which the emulator deletes. Left alone, every crashed or stopped cluster leaks one per
 * instance until the kernel's SHMMNI (4,096) is reached and no PostgreSQL can start (seen after
 * a day of test runs). Its key and id are on the 7th line of postmaster.pid; `ipcrm` removes it
 * (best effort: no ipcrm, no file, or already gone — nothing to do).
 */
function releaseSysvSegment(dataDir: string): void {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return;
  }
  const shmid = (lines[6] ?? '').trim().split(/\s+/)[1];
  if (shmid === undefined || !/^\d+$/.test(shmid)) return;
  spawnSync('ipcrm', ['-m', shmid], { stdio: 'ignore', timeout: 2_000 });
}

export function createPostgresBackend(options: BackendOptions): EngineBackend {
  return new PostgresBackend(options);
}
