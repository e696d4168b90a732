/**
 * The MariaDB engine backend of the emulator: real mariadbd instances with GTID replication
 * and semi-sync (acknowledged commits are on a replica), read-only replicas, a non-root test
 * user, and — for the Aurora flavour — a metadata proxy per instance that answers Aurora
 * MySQL's metadata SQL. Implements the control plane's EngineBackend contract.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { AuroraHaError } from '../../core/errors.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  type BackendInstance,
  type BackendOptions,
  type EngineBackend,
  type TopologyRecord,
} from '../engine.js';
import { rewriteAuroraQuery } from './aurora-query-rewrite.js';
import mysql from 'mysql2/promise';
import { KeptSessions } from '../kept-sessions.js';
import { adminQuery, withAdmin, type AdminConnection } from './mariadb-admin.js';
import { engineAccount, findMariadbBinaries } from './mariadb-binaries.js';
import { MariadbProcess } from './mariadb-process.js';
import { copyTemplate } from './mariadb-template.js';
import { MetadataProxy } from './metadata-proxy.js';
import { waitServing } from '../tls/served-certificate.js';
import {
  HEARTBEAT_DDL,
  heartbeatStatement,
  metadataTableDdl,
  metadataTableName,
  REPLAYED_HEARTBEAT,
  topologyInsert,
} from './mysql-topology.js';

/** The Aurora MySQL version the emulator reports (`SHOW VARIABLES LIKE 'aurora_version'`). */
export const EMULATED_AURORA_MYSQL_VERSION = '3.05.2';

const REPLICATION_USER = 'aurora_ha_repl';

interface MysqlInstance {
  readonly inst: BackendInstance;
  readonly serverId: number;
  /** Where mariadbd listens (the proxy, when present, listens on inst.address:inst.port). */
  readonly mysqlPort: number;
  readonly dataDir: string;
  readonly process: MariadbProcess;
  readonly proxy: MetadataProxy | undefined;
  role: 'writer' | 'reader';
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Highest GTID sequence number in a GTID list such as `0-1-42,1-2-7`. */
export function gtidSequence(list: string): bigint {
  let max = 0n;
  for (const gtid of list.split(',')) {
    const seq = gtid.trim().split('-')[2];
    if (seq && /^\d+$/.test(seq)) {
      const n = BigInt(seq);
      if (n > max) max = n;
    }
  }
  return max;
}

/** A text column of the first row ('' when absent). */
function firstText(rows: unknown, column: string): string {
  const row = Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined;
  const value = row?.[column];
  return typeof value === 'string' ? value : '';
}

/** How long a promotion waits at most for the replica to apply what it received. */
const APPLY_RECEIVED_MS = 60_000;
/** Between two looks at the replica's SQL thread while it applies. */
const APPLY_POLL_S = 0.2;

/**
 * Before a promotion: wait until the replica (IO thread stopped) has applied every transaction
 * its IO thread received — semi-sync acknowledged them. `Gtid_IO_Pos` may name a transaction of
 * which only the first events arrived (the writer was killed mid-group; never acknowledged,
 * rolled back by STOP SLAVE): the SQL thread can never reach it, and `MASTER_GTID_WAIT` on it
 * alone held a failover for its whole minute. So the wait also ends once the SQL thread has
 * read all of the relay log and its applied position (`gtid_slave_pos`) stayed the same over
 * one poll; an SQL thread that stopped (an error) ends it too. Bounded by APPLY_RECEIVED_MS.
 */
async function applyReceived(conn: AdminConnection): Promise<void> {
  const [status] = await conn.query('SHOW SLAVE STATUS');
  const ioPos = firstText(status, 'Gtid_IO_Pos');
  if (ioPos === '') return;
  const deadline = Date.now() + APPLY_RECEIVED_MS;
  let idleAt: string | undefined;
  while (Date.now() < deadline) {
    const [waited] = await conn.query('SELECT MASTER_GTID_WAIT(?, ?) AS r', [ioPos, APPLY_POLL_S]);
    if (Number((waited as Record<string, unknown>[])[0]?.r) === 0) return;
    const [now] = await conn.query('SHOW SLAVE STATUS');
    if (firstText(now, 'Slave_SQL_Running') !== 'Yes') return;
    const [pos] = await conn.query('SELECT @@gtid_slave_pos AS pos');
    const applied = firstText(pos, 'pos');
    const drained = /read all relay log/i.test(firstText(now, 'Slave_SQL_Running_State'));
    if (drained && idleAt === applied) return;
    idleAt = drained ? applied : undefined;
  }
}

function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

class MysqlBackend implements EngineBackend {
  readonly engine = 'mysql' as const;
  private readonly instances = new Map<string, MysqlInstance>();
  private readonly serverIds = new Map<string, number>();
  private nextServerId = 1;
  /** Start of each instance in flight: the control plane starts the writer and its readers in parallel. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly replicationPassword = randomBytes(12).toString('hex');
  private readonly cleanupOnExit = (): void => {
    for (const m of this.instances.values()) m.process.killNow();
    this.removeFilesSync();
  };
  private closed = false;
  /** Kept root sessions for the replica-lag heartbeat (ten statements a second). */
  private readonly heartbeats = new KeptSessions<AdminConnection>({
    open: (id) => {
      const m = this.instances.get(id);
      if (!m) return Promise.reject(new AuroraHaError('EMULATOR_STATE', `MariaDB ${id} is not known`));
      return mysql
        .createConnection({ socketPath: this.socketOf(m), user: 'root', password: '', connectTimeout: 2_000 })
        .then((conn) => {
          conn.on('error', () => undefined);
          return conn;
        });
    },
    destroy: (conn) => conn.destroy(),
  });

  constructor(private readonly options: BackendOptions) {
    findMariadbBinaries(); // fail fast, in one line, when MariaDB is not installed
    process.on('exit', this.cleanupOnExit);
  }

  private serverIdOf(instanceId: string): number {
    return this.serverIds.get(instanceId) ?? this.newServerId(instanceId);
  }

  /**
   * A rebuilt instance needs a server id of its own: a replica skips binlog events carrying
   * its own server id, so reusing the old one would drop everything it once wrote as writer.
   */
  private newServerId(instanceId: string): number {
    const id = this.nextServerId++;
    this.serverIds.set(instanceId, id);
    return id;
  }

  private get(inst: BackendInstance): MysqlInstance {
    const found = this.instances.get(inst.id);
    if (!found)
      throw new AuroraHaError('EMULATOR_STATE', `MariaDB instance ${inst.id} is not known to this backend`);
    return found;
  }

  private socketOf(m: MysqlInstance): string {
    return join(m.inst.dir, 'mysqld.sock');
  }

  /** Directories owned by the engine account; a fresh data dir copied from the template. */
  private async prepare(inst: BackendInstance, rebuild = false): Promise<MysqlInstance> {
    if (this.closed) throw new AuroraHaError('EMULATOR_STATE', 'MariaDB backend already shut down');
    const account = engineAccount();
    mkdirSync(this.options.workDir, { recursive: true });
    if (account && (statSync(this.options.workDir).mode & 0o001) === 0) {
      chmodSync(this.options.workDir, statSync(this.options.workDir).mode | 0o011);
    }
    rmSync(inst.dir, { recursive: true, force: true });
    mkdirSync(join(inst.dir, 'tmp'), { recursive: true, mode: 0o750 });
    if (account) {
      chownSync(inst.dir, account.uid, account.gid);
      chownSync(join(inst.dir, 'tmp'), account.uid, account.gid);
    }
    const dataDir = join(inst.dir, 'data');
    const known = this.instances.get(inst.id);
    const aurora = this.options.flavor === 'aurora';
    const mysqlPort = known?.mysqlPort ?? (aurora ? await freePort(inst.address) : inst.port);
    const serverId = rebuild ? this.newServerId(inst.id) : this.serverIdOf(inst.id);
    await copyTemplate(dataDir);
    const m: MysqlInstance = {
      inst,
      serverId,
      mysqlPort,
      dataDir,
      role: 'reader',
      process:
        (known && !rebuild ? known.process : undefined) ??
        new MariadbProcess({
          id: inst.id,
          dataDir,
          socket: join(inst.dir, 'mysqld.sock'),
          tmpDir: join(inst.dir, 'tmp'),
          errorLog: join(inst.dir, 'error.log'),
          pidFile: join(inst.dir, 'mysqld.pid'),
          address: inst.address,
          port: mysqlPort,
          serverId,
          maxConnections: this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          ...(inst.tls ? { tls: inst.tls } : {}),
        }),
      proxy:
        known?.proxy ??
        (aurora
          ? new MetadataProxy({
              listenAddress: inst.address,
              listenPort: inst.port,
              upstreamAddress: inst.address,
              upstreamPort: mysqlPort,
              tls: inst.tls,
              iam: this.options.iam?.mysqlLogin,
              rewrite: (sql) =>
                rewriteAuroraQuery(sql, {
                  instanceId: inst.id,
                  auroraVersion: EMULATED_AURORA_MYSQL_VERSION,
                }),
            })
          : undefined),
    };
    this.instances.set(inst.id, m);
    return m;
  }

  async startWriter(inst: BackendInstance): Promise<void> {
    const started = this.startFreshWriter(inst);
    this.starting.set(inst.id, started);
    started.catch(() => undefined); // awaited below and by readers; never unhandled
    await started;
  }

  private async startFreshWriter(inst: BackendInstance): Promise<void> {
    const m = await this.prepare(inst);
    m.role = 'writer';
    this.throwIfShutDown(inst);
    await m.process.start(false);
    await this.abortIfShutDown(m);
    await withAdmin(this.socketOf(m), (conn) => this.createAccountsAndMetadata(conn));
    await m.proxy?.listen();
  }

  /**
   * shutdown() ran while this instance was being prepared (a rebuild in the background when
   * the cluster stops): spawn nothing that shutdown() would no longer kill.
   */
  private throwIfShutDown(inst: BackendInstance): void {
    if (this.closed)
      throw new AuroraHaError('EMULATOR_STATE', `MariaDB backend shut down while ${inst.id} was starting`);
  }

  /** shutdown() ran while this instance was starting: leave nothing behind. */
  private async abortIfShutDown(m: MysqlInstance): Promise<void> {
    if (!this.closed) return;
    await m.process.kill();
    rmSync(m.inst.dir, { recursive: true, force: true });
    throw new AuroraHaError('EMULATOR_STATE', `MariaDB backend shut down while ${m.inst.id} was starting`);
  }

  /** The writer, once its own start (possibly running in parallel with ours) is over. */
  private async startedWriter(writer: BackendInstance): Promise<MysqlInstance> {
    await this.starting.get(writer.id);
    return this.get(writer);
  }

  private async createAccountsAndMetadata(conn: AdminConnection): Promise<void> {
    const { user, password, database, flavor } = this.options;
    // the template's root@127.0.0.1 / root@::1 / root@<hostname> have no password: only the socket root stays
    const [roots] = await conn.query(
      "SELECT User, Host FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'",
    );
    for (const row of roots as { User: string; Host: string }[]) {
      await conn.query('DROP USER IF EXISTS ?@?', [row.User, row.Host]);
    }
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`);
    await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    // database-level DML/DDL; no global privilege such as READ ONLY ADMIN, so read_only applies
    await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdent(database)}.* TO ?@?`, [user, '%']);
    await conn.query('GRANT SLAVE MONITOR ON *.* TO ?@?', [user, '%']);
    const iam = this.options.iam?.mysqlLogin;
    if (iam) {
      // the IAM user (iam: true): the metadata proxy logs it in upstream with this password once its token verifies
      await conn.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [iam.user, '%', iam.upstreamPassword]);
      await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdent(database)}.* TO ?@?`, [iam.user, '%']);
      await conn.query('GRANT SLAVE MONITOR ON *.* TO ?@?', [iam.user, '%']);
    }
    await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [REPLICATION_USER, '%', this.replicationPassword]);
    await conn.query('GRANT REPLICATION SLAVE ON *.* TO ?@?', [REPLICATION_USER, '%']);
    await conn.query(metadataTableDdl(flavor));
    if (flavor === 'aurora') for (const ddl of HEARTBEAT_DDL) await conn.query(ddl);
    await conn.query(`GRANT SELECT ON ${metadataTableName(flavor)} TO ?@?`, [user, '%']);
    // the IAM user reads the topology too, as an Aurora user does: without it failover finds no topology
    if (iam) await conn.query(`GRANT SELECT ON ${metadataTableName(flavor)} TO ?@?`, [iam.user, '%']);
  }

  private async follow(conn: AdminConnection, writer: MysqlInstance): Promise<void> {
    // require_secure_transport covers replication too: the replica's leg is TLS, trusting the
    // cluster's CA; the name is not checked (it connects to a loopback address, not a name)
    const tls = writer.inst.tls
      ? ', MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 0'
      : '';
    await conn.query(
      'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
        `MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1${tls}`,
      [
        writer.inst.address,
        writer.mysqlPort,
        REPLICATION_USER,
        this.replicationPassword,
        ...(writer.inst.tls ? [writer.inst.tls.caFile] : []),
      ],
    );
    await conn.query('START SLAVE');
  }

  /** Wait until `m` has applied everything the writer has binlogged so far. */
  private async catchUp(m: MysqlInstance, writer: MysqlInstance): Promise<void> {
    const pos = firstText(await adminQuery(this.socketOf(writer), 'SELECT @@gtid_binlog_pos AS pos'), 'pos');
    if (pos === '') return;
    const deadline = Date.now() + 60_000;
    await withAdmin(this.socketOf(m), async (conn) => {
      for (;;) {
        const [res] = await conn.query('SELECT MASTER_GTID_WAIT(?, 0.5) AS r', [pos]);
        if (Number((res as Record<string, unknown>[])[0]?.r) === 0) return;
        const [status] = await conn.query('SHOW SLAVE STATUS');
        const failure = firstText(status, 'Last_SQL_Error') || firstText(status, 'Last_IO_Error');
        if (failure !== '' || Date.now() > deadline) {
          throw new AuroraHaError(
            'EMULATOR_REPLICATION',
            `MariaDB replica ${m.inst.id} did not catch up with ${writer.inst.id}: ${failure || 'timeout'}`,
          );
        }
      }
    });
  }

  async startReader(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    await this.startReplica(inst, writer, false);
  }

  private async startReplica(
    inst: BackendInstance,
    writer: BackendInstance,
    rebuild: boolean,
  ): Promise<void> {
    const m = await this.prepare(inst, rebuild);
    this.throwIfShutDown(inst);
    await m.process.start(true);
    await this.abortIfShutDown(m);
    const w = await this.startedWriter(writer);
    // a fresh copy of the template replays the writer's whole binlog: every instance started
    // from the same template and logs what it applies, so any writer's binlog is complete
    await withAdmin(this.socketOf(m), (conn) => this.follow(conn, w));
    await this.catchUp(m, w);
    await m.proxy?.listen();
  }

  async promote(inst: BackendInstance): Promise<void> {
    const m = this.get(inst);
    await withAdmin(this.socketOf(m), async (conn) => {
      const [status] = await conn.query('SHOW SLAVE STATUS');
      const row = (status as Record<string, unknown>[])[0];
      if (row) {
        // stop receiving, then apply everything already received (semi-sync acked it)
        await conn.query('STOP SLAVE IO_THREAD');
        await applyReceived(conn);
        await conn.query('STOP SLAVE');
        await conn.query('RESET SLAVE ALL');
      }
      await conn.query('SET GLOBAL read_only = 0');
    });
    m.role = 'writer';
  }

  async repoint(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    const m = this.get(inst);
    const w = this.get(writer);
    await withAdmin(this.socketOf(m), async (conn) => {
      await conn.query('SET GLOBAL read_only = 1');
      await conn.query('STOP SLAVE');
      if (m.role === 'writer') {
        // a demoted writer continues from what it wrote itself
        await conn.query('SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos');
      }
      await this.follow(conn, w);
    });
    m.role = 'reader';
  }

  async replicationPosition(inst: BackendInstance): Promise<bigint> {
    const m = this.get(inst);
    return withAdmin(this.socketOf(m), async (conn) => {
      const [status] = await conn.query('SHOW SLAVE STATUS');
      const received = firstText(status, 'Gtid_IO_Pos');
      const [rows] = await conn.query('SELECT @@gtid_current_pos AS pos');
      const applied = firstText(rows, 'pos');
      const a = gtidSequence(received);
      const b = gtidSequence(applied);
      return a > b ? a : b;
    });
  }

  async crash(inst: BackendInstance): Promise<void> {
    const m = this.get(inst);
    await Promise.all([m.proxy?.close(), m.process.kill()]);
  }

  async stop(inst: BackendInstance): Promise<void> {
    const m = this.get(inst);
    await m.proxy?.close();
    await m.process.stop();
  }

  /** Reboot: a clean stop first when it is running, then start on the same data. */
  async restart(inst: BackendInstance): Promise<void> {
    const m = this.get(inst);
    if (m.process.running) {
      await m.proxy?.close();
      await m.process.stop();
    }
    await m.process.start(m.role === 'reader');
    await m.proxy?.listen();
  }

  async rebuildAsReader(inst: BackendInstance, writer: BackendInstance): Promise<void> {
    const m = this.get(inst);
    await m.proxy?.close();
    await m.process.kill();
    await this.startReplica(inst, writer, true);
  }

  /** The SQL thread stops; the IO thread keeps receiving (and acknowledging semi-sync). */
  async pauseReplay(inst: BackendInstance): Promise<void> {
    await adminQuery(this.socketOf(this.get(inst)), 'STOP SLAVE SQL_THREAD');
  }

  async resumeReplay(inst: BackendInstance): Promise<void> {
    await adminQuery(this.socketOf(this.get(inst)), 'START SLAVE SQL_THREAD');
  }

  /** mariadbd reloads its certificate files on FLUSH SSL; the metadata proxy reads them again. */
  async reloadTls(inst: BackendInstance): Promise<void> {
    const m = this.get(inst);
    if (!inst.tls || !m.process.running) return;
    await adminQuery(this.socketOf(m), 'FLUSH SSL');
    await m.proxy?.reloadTls();
    await waitServing('mysql', inst.address, inst.port, readFileSync(inst.tls.certFile, 'utf8'));
  }

  /** Semi-sync on the writer: commits wait for a replica's acknowledgement (or not). */
  async setSynchronous(writer: BackendInstance, on: boolean): Promise<void> {
    const m = this.get(writer);
    await adminQuery(this.socketOf(m), `SET GLOBAL rpl_semi_sync_master_enabled = ${on ? 'ON' : 'OFF'}`);
  }

  async writeTopology(writer: BackendInstance, rows: readonly TopologyRecord[]): Promise<void> {
    const m = this.get(writer);
    const table = metadataTableName(this.options.flavor);
    const insert = topologyInsert(this.options.flavor, rows, (id) => this.serverIdOf(id));
    await withAdmin(this.socketOf(m), async (conn) => {
      await conn.beginTransaction();
      await conn.query(`DELETE FROM ${table}`);
      if (rows.length > 0) await conn.query(insert.sql, insert.params);
      await conn.commit();
    });
  }

  async writeHeartbeat(
    writer: BackendInstance,
    beatMs: number,
    lags: ReadonlyMap<string, number> | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const { sql, params } = heartbeatStatement(beatMs, lags);
    await this.heartbeats.use(writer.id, timeoutMs, (conn) => conn.query(sql, params));
  }

  async replayedHeartbeat(inst: BackendInstance, timeoutMs: number): Promise<number> {
    const [rows] = await this.heartbeats.use(inst.id, timeoutMs, (conn) => conn.query(REPLAYED_HEARTBEAT));
    const beat = Array.isArray(rows) ? (rows[0] as { beat?: unknown } | undefined)?.beat : undefined;
    return typeof beat === 'number' ? beat : 0;
  }

  /** The test user's grants, its own password; created on the writer, replicated by the binlog. */
  async createLoginUser(writer: BackendInstance, user: string, password: string): Promise<void> {
    const { database, flavor } = this.options;
    await withAdmin(this.socketOf(this.get(writer)), async (conn) => {
      await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdent(database)}.* TO ?@?`, [user, '%']);
      await conn.query('GRANT SLAVE MONITOR ON *.* TO ?@?', [user, '%']);
      await conn.query(`GRANT SELECT ON ${metadataTableName(flavor)} TO ?@?`, [user, '%']);
    });
  }

  async setPassword(writer: BackendInstance, user: string, password: string): Promise<void> {
    await adminQuery(this.socketOf(this.get(writer)), 'ALTER USER ?@? IDENTIFIED BY ?', [
      user,
      '%',
      password,
    ]);
  }

  async passwordVerifier(inst: BackendInstance, user: string): Promise<string | undefined> {
    const rows = await adminQuery(
      this.socketOf(this.get(inst)),
      "SELECT authentication_string AS v FROM mysql.user WHERE User = ? AND Host = '%'",
      [user],
    );
    const v = rows[0]?.v;
    return typeof v === 'string' ? v : undefined;
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.heartbeats.closeAll();
    const all = [...this.instances.values()];
    await Promise.all(all.map(async (m) => Promise.all([m.proxy?.close(), m.process.kill()])));
    this.removeFilesSync();
    this.instances.clear();
    process.off('exit', this.cleanupOnExit);
  }

  private removeFilesSync(): void {
    for (const m of this.instances.values()) {
      try {
        rmSync(m.inst.dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // a file appearing while we delete (a process still dying): the work dir's owner removes it
      }
    }
  }
}

/** The MariaDB backend the control plane drives for `engine: 'mysql'`. */
export function createMysqlBackend(options: BackendOptions): EngineBackend {
  return new MysqlBackend(options);
}
