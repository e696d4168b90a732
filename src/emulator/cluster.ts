/**
 * The emulator's control plane: owns instances and roles, one fault proxy per instance, the
 * topology metadata written on the writer, the timeline, and the failover choreography.
 * Drives one EngineBackend. Beside it: the names that follow the roles after a lag
 * (cluster-names.ts), option checking (options.ts, from option-table.ts), the event-loop
 * hold of awaited operations (keep-alive.ts), startCluster (start-cluster.ts), the control
 * endpoint that serves the names to attached processes (attach/control-server.ts), and
 * services/ for the loopback services to come.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AuroraHaError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import { MAX_INSTANCES, type AddressPlan } from './addresses.js';
import { dispatchTo } from './attach/control-dispatch.js';
import { ControlServer } from './attach/control-server.js';
import { ClusterNames } from './cluster-names.js';
import {
  type BackendInstance,
  type EmulatedEngine,
  type EmulatedFlavor,
  type EngineBackend,
  type TopologyRecord,
} from './engine.js';
import { ClusterAwsSide, randomPassword, SECRET_USER } from './aws/cluster-aws.js';
import { FaultProxy } from './fault-proxy.js';
import { ReplicaLag } from './replica-lag.js';
import type { ClusterIam } from './iam/cluster-iam.js';
import { NO_IAM_STATS } from './iam/iam-gate.js';
import { keepAlive } from '../core/keep-alive.js';
import {
  DEFAULT_ROTATION_WINDOW_MS,
  FAILOVER_OPTIONS,
  LATENCY_MS,
  PARTITION_OPTIONS,
  ROTATE_SECRET_OPTIONS,
  SWITCHOVER_OPTIONS,
} from './option-table.js';
import { checkInteger, checkOptions, type ResolvedStartOptions } from './options.js';
import { chownTree, startWatchdog, untrackDir } from './processes.js';
import { ClusterTlsFiles } from './tls/cluster-tls.js';
import type {
  ClusterAws,
  ClusterSecret,
  ClusterTls,
  Credentials,
  EmulatedCluster,
  Endpoint,
  FailoverOptions,
  IamStats,
  InstanceEndpoint,
  PartitionMode,
  SecretRotation,
  TimelineEvent,
  TimelineEventKind,
} from './types.js';

const CLUSTER_NAME = 'mydb';
const TOPOLOGY_REFRESH_MS = 1000;
/** A replica applies a password change within this (it replays continuously; seconds under load). */
const PASSWORD_REPLAY_TIMEOUT_MS = 30_000;
const PASSWORD_REPLAY_POLL_MS = 50;

export const DEFAULT_CREDENTIALS: Credentials = {
  user: 'aurora_test',
  password: 'aurora-test-pw',
  database: 'aurora_test',
};

type Role = 'writer' | 'reader' | 'down';

interface Node {
  index: number;
  inst: BackendInstance;
  host: string;
  publicAddress: string;
  role: Role;
  proxy: FaultProxy;
  /** Went down while writer: its data may be ahead of / diverged from a newer writer. */
  wasWriterWhenLost: boolean;
  /** A reader whose replay is paused by hold(id): not re-pointed until release(id). */
  held: boolean;
  /** The writer this reader replicates from (undefined for a writer or a down instance). */
  follows: string | undefined;
}

/** A bounded pause inside an awaited operation (kept ref'd: the caller is waiting on it). */
const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();

/**
 * Runs `work`; a failure becomes an error naming `what`, its message with `secret` redacted and
 * no cause (a driver error can carry the statement, password included: mysql2's `sql`).
 */
async function withoutSecret<T>(what: string, secret: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new AuroraHaError('EMULATOR_SECRET', `${what} failed: ${redactSecrets(message, [secret])}`);
  }
}

/** One running cluster (created and started by startCluster, start-cluster.ts). */
export class Cluster implements EmulatedCluster {
  readonly writerEndpoint: Endpoint;
  readonly readerEndpoint: Endpoint;
  readonly credentials: Credentials;
  readonly instanceHostPattern: string;
  private readonly nodes = new Map<string, Node>();
  private readonly events: TimelineEvent[] = [];
  private readonly domain: string;
  private nextIndex = 1;
  private readonly names: ClusterNames;
  private stopWatchdog: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private opChain: Promise<unknown> = Promise.resolve();
  private background: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private topologyWrites: Promise<void> = Promise.resolve();
  private tlsFiles: ClusterTlsFiles | undefined;
  private awsSide: ClusterAwsSide | undefined;
  private control: ControlServer | undefined;
  /** Measured replica lag (Aurora flavour, when the backend can heartbeat). */
  private readonly lag: ReplicaLag | undefined;

  constructor(
    readonly engine: EmulatedEngine,
    readonly flavor: EmulatedFlavor,
    private readonly backend: EngineBackend,
    private readonly plan: AddressPlan,
    private readonly workDir: string,
    private readonly opts: ResolvedStartOptions & { clusterId: string },
    private readonly iam?: ClusterIam,
  ) {
    this.domain = `${opts.clusterId}.${opts.region}.rds.amazonaws.com`;
    this.writerEndpoint = { host: `${CLUSTER_NAME}.cluster-${this.domain}`, port: plan.port };
    this.readerEndpoint = { host: `${CLUSTER_NAME}.cluster-ro-${this.domain}`, port: plan.port };
    this.instanceHostPattern = `?.${this.domain}`;
    this.credentials = { ...DEFAULT_CREDENTIALS };
    this.names = new ClusterNames(
      {
        domain: this.domain,
        writerHost: this.writerEndpoint.host,
        readerHost: this.readerEndpoint.host,
        lagMs: opts.dnsLagMs,
        onWriterSwitched: (writer) => {
          if (this.events.length > 0) this.record('dns-switched', writer, `cluster endpoint → ${writer}`);
        },
        onChanged: () => this.control?.changed(),
      },
      {
        writer: () => this.currentWriter()?.inst.id,
        readers: () => this.liveReaders().map((n) => n.inst.id),
        addressOf: (id) => this.nodes.get(id)?.publicAddress,
        instanceAddress: (host) => {
          for (const node of this.nodes.values()) if (node.host === host) return node.publicAddress;
          return undefined;
        },
        instanceAddresses: () =>
          Object.fromEntries([...this.nodes.values()].map((n) => [n.host, n.publicAddress])),
      },
    );
    this.iam?.attach({
      port: plan.port,
      hostNames: () => [
        this.writerEndpoint.host,
        this.readerEndpoint.host,
        ...[...this.nodes.values()].map((n) => n.host),
      ],
      hasInstance: (id) => this.nodes.has(id),
    });
    this.lag = this.createReplicaLag();
  }

  /** Only the Aurora flavour's metadata carries lag (Multi-AZ and replica clusters read none). */
  private createReplicaLag(): ReplicaLag | undefined {
    const { backend } = this;
    if (this.flavor !== 'aurora' || !backend.writeHeartbeat || !backend.replayedHeartbeat) return undefined;
    return new ReplicaLag({
      backend: {
        writeHeartbeat: backend.writeHeartbeat.bind(backend),
        replayedHeartbeat: backend.replayedHeartbeat.bind(backend),
      },
      writer: () => (this.stopped ? undefined : this.currentWriter()?.inst),
      readers: () => (this.stopped ? [] : this.liveReaders().map((n) => n.inst)),
    });
  }

  // ---- IAM ---------------------------------------------------------------------------

  get iamUser(): string | undefined {
    return this.iam?.user;
  }

  iamStats(): IamStats {
    return this.iam?.stats() ?? NO_IAM_STATS;
  }

  // ---- start -------------------------------------------------------------------------

  get tls(): ClusterTls | undefined {
    return this.tlsFiles;
  }

  get aws(): ClusterAws | undefined {
    return this.awsSide?.aws;
  }

  get secret(): ClusterSecret | undefined {
    return this.awsSide?.secret;
  }

  get controlEndpoint(): string {
    if (!this.control) throw new AuroraHaError('EMULATOR_STATE', 'the cluster has not started');
    return this.control.endpoint;
  }

  async start(count: number): Promise<void> {
    this.stopWatchdog = startWatchdog(this.workDir);
    this.control = await ControlServer.start(() => this.names.table(), dispatchTo(this));
    if (this.opts.tls) {
      this.tlsFiles = await ClusterTlsFiles.create(this.workDir, this.domain, {
        check: (id) => void this.node(id),
        reload: (id) => this.reloadTls(id),
      });
    }
    const created: Node[] = [];
    for (let i = 0; i < count; i++) created.push(await this.createNode(i === 0 ? 'writer' : 'reader'));
    this.names.serve();
    const [writer, ...readers] = created;
    if (!writer) throw new AuroraHaError('EMULATOR_OPTIONS', 'instances must be at least 1');
    await Promise.all([
      this.backend.startWriter(writer.inst).then(() => writer.proxy.setEngineUp(true)),
      ...readers.map((r) =>
        this.backend.startReader(r.inst, writer.inst).then(() => {
          r.follows = writer.inst.id;
          r.proxy.setEngineUp(true);
        }),
      ),
    ]);
    await this.syncSynchronous();
    await this.writeTopologyNow();
    // one AWS-API server for iam and secretsManager (interfaces.md)
    if (this.iam) await this.ensureAwsSide();
    if (this.opts.secretsManager) await this.startSecretsManager(writer);
    this.names.followNow();
    let refreshing = false;
    this.refreshTimer = setInterval(() => {
      // One periodic refresh at a time: a slow writer must not pile up queued writes.
      if (refreshing) return;
      refreshing = true;
      void this.writeTopologyNow()
        .catch(() => undefined)
        .finally(() => (refreshing = false));
    }, TOPOLOGY_REFRESH_MS);
    this.refreshTimer.unref();
    this.lag?.start();
    this.record(
      'cluster-started',
      undefined,
      `${count} instance(s), ${this.engine}/${this.flavor}, max ${this.opts.maxConnections} connections each`,
    );
  }

  private async createNode(role: Role): Promise<Node> {
    if (this.nextIndex > MAX_INSTANCES)
      throw new AuroraHaError('EMULATOR_OPTIONS', `at most ${MAX_INSTANCES} instances per cluster`);
    const index = this.nextIndex++;
    const id = `instance-${index}`;
    const publicAddress = this.plan.publicAddress(index);
    const proxy = new FaultProxy(publicAddress, this.plan.port, {
      address: this.plan.internalAddress(index),
      port: this.plan.port,
    });
    proxy.setEngineUp(false);
    await proxy.start();
    const tls = await this.tlsFiles?.instanceFiles(id);
    const node: Node = {
      index,
      inst: {
        id,
        address: this.plan.internalAddress(index),
        port: this.plan.port,
        dir: join(this.workDir, id),
        ...(tls ? { tls } : {}),
      },
      host: `${id}.${this.domain}`,
      publicAddress,
      role,
      proxy,
      wasWriterWhenLost: false,
      held: false,
      follows: undefined,
    };
    this.nodes.set(id, node);
    this.control?.changed();
    return node;
  }

  // ---- roles --------------------------------------------------------------------------

  private currentWriter(): Node | undefined {
    for (const n of this.nodes.values()) if (n.role === 'writer') return n;
    return undefined;
  }

  private liveReaders(): Node[] {
    return [...this.nodes.values()].filter((n) => n.role === 'reader');
  }

  // ---- topology metadata -------------------------------------------------------------

  private topologyRecords(): TopologyRecord[] {
    return [...this.nodes.values()]
      .filter((n) => n.role !== 'down')
      .map((n) => ({
        instanceId: n.inst.id,
        isWriter: n.role === 'writer',
        endpoint: n.host,
        port: this.plan.port,
        cpu: 0,
        lagMs: n.role === 'reader' ? (this.lag?.lagOf(n.inst.id) ?? 0) : 0,
      }));
  }

  /** Write the truth on the current writer (serialised; readers get it by replication). */
  private writeTopologyNow(): Promise<void> {
    const next = this.topologyWrites.then(async () => {
      const writer = this.currentWriter();
      if (!writer || this.stopped) return;
      const records = this.topologyRecords();
      await this.backend.writeTopology(writer.inst, records);
      this.lag?.noteWritten(new Map(records.filter((r) => !r.isWriter).map((r) => [r.instanceId, r.lagMs])));
    });
    this.topologyWrites = next.catch(() => undefined);
    return next;
  }

  private async syncSynchronous(): Promise<void> {
    const writer = this.currentWriter();
    if (!writer || !this.backend.setSynchronous) return;
    // A held reader still following a former writer acknowledges nothing to this one.
    const acks = this.liveReaders().filter((r) => !(r.held && r.follows !== writer.inst.id));
    await this.backend.setSynchronous(writer.inst, acks.length > 0);
  }

  // ---- operations --------------------------------------------------------------------

  /** Operations run one at a time. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.opChain.then(() => {
      if (this.stopped) throw new AuroraHaError('EMULATOR_STOPPED', 'the emulated cluster is stopped');
      return op();
    });
    this.opChain = run.catch(() => undefined);
    return run;
  }

  /**
   * A public awaited operation: `check` (option validation) throws at once, before anything
   * waits; the operation then runs in turn, the event loop held open until it settles.
   */
  private operation<T>(op: () => Promise<T>, check?: () => void): Promise<T> {
    try {
      check?.();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return keepAlive(this.serial(op));
  }

  private node(id: string): Node {
    const node = this.nodes.get(id);
    if (!node)
      throw new AuroraHaError(
        'EMULATOR_UNKNOWN_INSTANCE',
        `no instance "${id}" in this cluster (have: ${[...this.nodes.keys()].join(', ')})`,
      );
    return node;
  }

  /** Reject a bad target before the writer is touched (never leave the cluster writerless by a typo). */
  private checkTarget(target: string | undefined): void {
    if (target === undefined) return;
    if (this.node(target).role !== 'reader') {
      throw new AuroraHaError('EMULATOR_BAD_TARGET', `failover target "${target}" is not a live reader`);
    }
  }

  private async pickTarget(target: string | undefined): Promise<Node> {
    if (target !== undefined) {
      const node = this.node(target);
      if (node.role !== 'reader')
        throw new AuroraHaError('EMULATOR_BAD_TARGET', `failover target "${target}" is not a live reader`);
      return node;
    }
    const live = this.liveReaders();
    if (live.length === 0) throw new AuroraHaError('EMULATOR_NO_READER', 'no live reader to promote');
    // A held reader is promoted only when no other reader is left.
    const free = live.filter((r) => !r.held);
    const readers = free.length > 0 ? free : live;
    const positions = await Promise.all(
      readers.map((r) => this.backend.replicationPosition(r.inst).catch(() => -1n)),
    );
    let best = 0;
    positions.forEach((p, i) => {
      if (p > (positions[best] ?? -1n)) best = i;
    });
    return readers[best] as Node;
  }

  failover(options: FailoverOptions = {}): Promise<{ newWriter: string }> {
    return this.operation(
      () => this.failoverNow(options),
      () => checkOptions(FAILOVER_OPTIONS, options),
    );
  }

  private async failoverNow(options: FailoverOptions): Promise<{ newWriter: string }> {
    this.checkTarget(options.target);
    const keepDown = options.keepOldWriterDown === true;
    if (keepDown && this.liveReaders().length === 0)
      throw new AuroraHaError(
        'EMULATOR_NO_READER',
        'failover({ keepOldWriterDown: true }) needs a live reader to promote',
      );
    const old = this.currentWriter();
    if (old) {
      // Stamped first: clients lose the writer now, however long the kill itself takes.
      const kept = keepDown ? ', kept down until reboot' : '';
      if (options.silent) {
        // Blackholed before the kill, so not one reset or FIN reaches its clients.
        old.proxy.setPartition('blackhole');
        this.record('writer-lost', old.inst.id, `silent: blackholed until heal, engine SIGKILLed${kept}`);
        this.record('partitioned', old.inst.id, 'blackhole (silent failover)');
      } else {
        this.record('writer-lost', old.inst.id, `crashed (SIGKILL)${kept}`);
      }
      old.wasWriterWhenLost = true;
      old.role = 'down';
      old.proxy.setEngineUp(false);
      await this.backend.crash(old.inst);
    }
    await sleep(this.opts.promotionDelayMs);
    return this.promoteAndRecover(options.target, old, keepDown);
  }

  switchover(options: { target?: string } = {}): Promise<{ newWriter: string }> {
    return this.operation(
      async () => {
        this.checkTarget(options.target);
        const old = this.currentWriter();
        if (old) {
          this.record('writer-lost', old.inst.id, 'stopped for switchover');
          old.wasWriterWhenLost = true;
          old.role = 'down';
          old.proxy.setEngineUp(false);
          // Clean shutdown: the writer sends all of its WAL to the standbys before exiting.
          await this.backend.stop(old.inst);
        }
        return this.promoteAndRecover(options.target, old);
      },
      () => checkOptions(SWITCHOVER_OPTIONS, options),
    );
  }

  private async promoteAndRecover(
    target: string | undefined,
    old: Node | undefined,
    keepOldWriterDown = false,
  ): Promise<{ newWriter: string }> {
    if (target === undefined && old && this.liveReaders().length === 0) {
      // A single-instance cluster: like Aurora, the writer instance itself comes back.
      await this.backend.restart(old.inst);
      old.role = 'writer';
      old.wasWriterWhenLost = false;
      old.proxy.setEngineUp(true);
      this.record('promoted', old.inst.id, 'no reader: the writer restarted');
      await this.writeTopologyNow().catch(() => undefined);
      return { newWriter: old.inst.id };
    }
    const next = await this.pickTarget(target);
    if (next.held) {
      // Promotion applies everything received first: replay must run again.
      await this.backend.resumeReplay?.(next.inst);
      next.held = false;
      this.record('reader-released', next.inst.id, 'to be promoted');
    }
    await this.backend.promote(next.inst);
    next.role = 'writer';
    next.follows = undefined;
    this.record('promoted', next.inst.id);
    // A held reader keeps following the old writer, its view frozen, until release(id).
    const others = this.liveReaders().filter((r) => !r.held);
    // Until re-pointed, the other readers keep replicating nothing and show the old topology.
    await this.syncSynchronous().catch(() => undefined);
    await this.writeTopologyNow().catch(() => undefined);
    this.names.follow();
    // Re-points and the old writer's rebuild run side by side.
    const repoints = others.map(async (r) => {
      await this.backend.repoint(r.inst, next.inst);
      r.follows = next.inst.id;
      // Aurora readers restart to follow the new writer: their client connections drop.
      r.proxy.dropConnections();
      this.record('reader-repointed', r.inst.id, `now follows ${next.inst.id}`);
    });
    const rebuild = (async () => {
      // Kept down: reboot(id) rebuilds it (it is still marked as lost while writer).
      if (!old || this.stopped || keepOldWriterDown) return;
      await this.backend.rebuildAsReader(old.inst, next.inst);
      if (this.stopped) return;
      old.role = 'reader';
      old.follows = next.inst.id;
      old.wasWriterWhenLost = false;
      old.proxy.setEngineUp(true);
      this.record('old-writer-back', old.inst.id, `reader of ${next.inst.id}`);
    })();
    const recovery = (async () => {
      await Promise.all([...repoints, rebuild]);
      await this.syncSynchronous();
      await this.writeTopologyNow();
      this.names.follow();
    })();
    this.trackBackground(recovery);
    return { newWriter: next.inst.id };
  }

  private trackBackground(work: Promise<unknown>): void {
    const guarded = work.catch((err: unknown) => {
      if (!this.stopped)
        this.log(`background recovery failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.background = Promise.all([this.background, guarded]);
    // Recovery must finish before the next operation changes roles again.
    this.opChain = Promise.all([this.opChain, guarded]);
  }

  crash(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      this.record('instance-crashed', id);
      if (node.role === 'writer') node.wasWriterWhenLost = true;
      node.role = 'down';
      node.held = false; // a restarted engine replays again
      node.proxy.setEngineUp(false);
      await this.backend.crash(node.inst);
      await this.syncSynchronous().catch(() => undefined);
      await this.writeTopologyNow().catch(() => undefined);
      this.names.follow();
    });
  }

  reboot(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      const writer = this.currentWriter();
      const formerWriter = node.role === 'writer' || (node.role === 'down' && node.wasWriterWhenLost);
      node.role = 'down';
      node.held = false; // a restarted engine replays again
      node.proxy.setEngineUp(false);
      if (formerWriter && writer && writer !== node) {
        // A writer lost before a failover: its data diverged, it comes back as a reader by a fresh copy.
        await this.backend.rebuildAsReader(node.inst, writer.inst);
        node.role = 'reader';
        node.follows = writer.inst.id;
      } else {
        await this.backend.restart(node.inst);
        node.role = formerWriter || !writer ? 'writer' : 'reader';
        if (node.role === 'writer') node.follows = undefined;
        // A reader down during a failover still follows the former writer.
        else if (writer && node.follows !== writer.inst.id) await this.followWriter(node, writer);
      }
      node.wasWriterWhenLost = false;
      node.proxy.setEngineUp(true);
      this.record('instance-rebooted', id);
      await this.syncSynchronous().catch(() => undefined);
      await this.writeTopologyNow().catch(() => undefined);
      this.names.follow();
    });
  }

  /**
   * Re-point a reader at the current writer; when it cannot follow (it received WAL / binlog
   * the new writer never had), rebuild it by a fresh copy instead.
   */
  private async followWriter(node: Node, writer: Node): Promise<void> {
    try {
      await this.backend.repoint(node.inst, writer.inst);
    } catch (err) {
      this.log(
        `re-pointing ${node.inst.id} failed (${err instanceof Error ? err.message : String(err)}); rebuilding it`,
      );
      node.proxy.setEngineUp(false);
      await this.backend.rebuildAsReader(node.inst, writer.inst);
      node.proxy.setEngineUp(true);
    }
    node.follows = writer.inst.id;
  }

  hold(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      if (node.role !== 'reader')
        throw new AuroraHaError(
          'EMULATOR_BAD_TARGET',
          `"${id}" is not a live reader; only a reader can be held`,
        );
      if (node.held) return;
      if (!this.backend.pauseReplay)
        throw new AuroraHaError('EMULATOR_UNSUPPORTED', `the ${this.engine} backend cannot hold a reader`);
      await this.backend.pauseReplay(node.inst);
      node.held = true;
      this.record('reader-held', id, 'replay paused: its data and topology stay as they are until release');
    });
  }

  release(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      if (!node.held) return;
      await this.backend.resumeReplay?.(node.inst);
      node.held = false;
      this.record('reader-released', id);
      const writer = this.currentWriter();
      if (node.role === 'reader' && writer && node.follows !== writer.inst.id) {
        // The failover it sat out: it follows the new writer now, restarting like any re-pointed reader.
        await this.followWriter(node, writer);
        node.proxy.dropConnections();
        this.record('reader-repointed', id, `now follows ${writer.inst.id}`);
      }
      await this.syncSynchronous().catch(() => undefined);
    });
  }

  partition(id: string, options: { mode: PartitionMode }): void {
    checkOptions(PARTITION_OPTIONS, options);
    this.node(id).proxy.setPartition(options.mode);
    this.record('partitioned', id, options.mode);
  }

  heal(id: string): void {
    const node = this.node(id);
    node.proxy.setPartition('none');
    node.proxy.setLatency(0);
    this.record('healed', id);
  }

  latency(id: string, ms: number): void {
    checkInteger('latency', LATENCY_MS, ms);
    this.node(id).proxy.setLatency(ms);
    this.record('latency-set', id, `${ms} ms`);
  }

  addReader(): Promise<InstanceEndpoint> {
    return this.operation(async () => {
      const writer = this.currentWriter();
      if (!writer)
        throw new AuroraHaError('EMULATOR_NO_WRITER', 'cannot add a reader while the cluster has no writer');
      const node = await this.createNode('down');
      await chownTree(this.workDir);
      await this.backend.startReader(node.inst, writer.inst);
      node.role = 'reader';
      node.follows = writer.inst.id;
      node.proxy.setEngineUp(true);
      this.record('instance-added', node.inst.id);
      await this.syncSynchronous();
      await this.writeTopologyNow();
      this.names.follow();
      return this.endpointOf(node);
    });
  }

  removeReader(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      if (node.role === 'writer')
        throw new AuroraHaError('EMULATOR_BAD_TARGET', `"${id}" is the writer; fail over first`);
      node.role = 'down';
      this.nodes.delete(id);
      this.names.forget(id);
      await node.proxy.stop();
      await this.backend.crash(node.inst);
      await rm(node.inst.dir, { recursive: true, force: true });
      this.record('instance-removed', id);
      await this.syncSynchronous();
      await this.writeTopologyNow();
      this.names.follow();
    });
  }

  /** A running instance loads its rewritten certificate files; a down one reads them when it starts. */
  private reloadTls(id: string): Promise<void> {
    return this.operation(async () => {
      const node = this.node(id);
      if (node.role !== 'down') await this.backend.reloadTls?.(node.inst);
      this.log(`${id}: certificate files reloaded`);
    });
  }

  // ---- Secrets Manager (issue 22) -----------------------------------------------------

  /**
   * The AWS-API server and the secret of a dedicated user (SECRET_USER, the test user's
   * privileges): rotating it leaves `credentials` and the emulator's own admin sessions alone.
   */
  private async startSecretsManager(writer: Node): Promise<void> {
    const side = await this.ensureAwsSide();
    const createUser = this.backend.createLoginUser?.bind(this.backend);
    if (!createUser)
      throw new AuroraHaError('EMULATOR_UNSUPPORTED', `the ${this.engine} backend cannot create users`);
    const password = randomPassword();
    await withoutSecret(`creating ${SECRET_USER} on ${writer.inst.id}`, password, () =>
      createUser(writer.inst, SECRET_USER, password),
    );
    await this.awaitPasswordOnReaders(writer);
    side.createSecret(
      this.opts.clusterId,
      {
        username: SECRET_USER,
        engine: this.engine === 'postgres' ? 'postgres' : 'mysql',
        host: this.writerEndpoint.host,
        port: this.plan.port,
        dbClusterIdentifier: CLUSTER_NAME,
      },
      password,
    );
  }

  /** The test account and AWS-API server, started once (by `secretsManager`, and by `iam`). */
  private async ensureAwsSide(): Promise<ClusterAwsSide> {
    // with iam, the account the IAM gate verifies tokens with
    this.awsSide ??= await ClusterAwsSide.start(this.opts.region, this.iam?.account);
    return this.awsSide;
  }

  /** Until every live reader (not a held one) has replayed the writer's password change; its ids, writer first. */
  private async awaitPasswordOnReaders(writer: Node): Promise<string[]> {
    const verifierOf = this.backend.passwordVerifier?.bind(this.backend);
    if (!verifierOf)
      throw new AuroraHaError('EMULATOR_UNSUPPORTED', `the ${this.engine} backend cannot read users`);
    const wanted = await verifierOf(writer.inst, SECRET_USER);
    const readers = this.liveReaders().filter((r) => !r.held);
    await Promise.all(
      readers.map(async (r) => {
        const deadline = Date.now() + PASSWORD_REPLAY_TIMEOUT_MS;
        for (;;) {
          const seen = await verifierOf(r.inst, SECRET_USER).catch(() => undefined);
          if (seen !== undefined && seen === wanted) return;
          if (Date.now() > deadline || this.stopped)
            throw new AuroraHaError(
              'EMULATOR_SECRET',
              `${r.inst.id} did not replay ${SECRET_USER}'s new password within ${PASSWORD_REPLAY_TIMEOUT_MS} ms`,
            );
          await sleep(PASSWORD_REPLAY_POLL_MS);
        }
      }),
    );
    return [writer.inst.id, ...readers.map((r) => r.inst.id)];
  }

  rotateSecret(options: { windowMs?: number } = {}): Promise<SecretRotation> {
    return this.operation(
      async () => {
        const side = this.awsSide as ClusterAwsSide;
        return side.rotate(
          options.windowMs ?? DEFAULT_ROTATION_WINDOW_MS,
          async (password) => {
            const writer = this.currentWriter();
            const setPassword = this.backend.setPassword?.bind(this.backend);
            if (!writer)
              throw new AuroraHaError('EMULATOR_NO_WRITER', 'rotateSecret: the cluster has no writer');
            if (!setPassword)
              throw new AuroraHaError(
                'EMULATOR_UNSUPPORTED',
                `the ${this.engine} backend cannot set passwords`,
              );
            await withoutSecret(`setting ${SECRET_USER}'s password on ${writer.inst.id}`, password, () =>
              setPassword(writer.inst, SECRET_USER, password),
            );
            return this.awaitPasswordOnReaders(writer);
          },
          (kind, detail) => this.record(kind, undefined, detail),
        );
      },
      () => {
        checkOptions(ROTATE_SECRET_OPTIONS, options);
        if (!this.awsSide)
          throw new AuroraHaError(
            'EMULATOR_UNSUPPORTED',
            'rotateSecret: the cluster has no secret (start it with secretsManager: true)',
          );
        this.awsSide.checkRotatable();
      },
    );
  }

  // ---- views -------------------------------------------------------------------------

  private endpointOf(node: Node): InstanceEndpoint {
    return {
      id: node.inst.id,
      host: node.host,
      port: this.plan.port,
      role: node.role,
      address: node.publicAddress,
    };
  }

  instances(): InstanceEndpoint[] {
    return [...this.nodes.values()].map((n) => this.endpointOf(n));
  }

  topology(): InstanceEndpoint[] {
    return this.instances();
  }

  timeline(): TimelineEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  settled(): Promise<void> {
    return keepAlive(this.settledNow());
  }

  private async settledNow(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.background) {
      seen = this.background;
      await seen;
    }
  }

  private record(kind: TimelineEventKind, instanceId?: string, detail?: string): void {
    const event: TimelineEvent = { at: Date.now(), kind };
    if (instanceId !== undefined) event.instanceId = instanceId;
    if (detail !== undefined) event.detail = detail;
    this.events.push(event);
    this.log(`${kind}${instanceId ? ` ${instanceId}` : ''}${detail ? `: ${detail}` : ''}`);
  }

  private log(message: string): void {
    if (this.opts.verbose) process.stderr.write(`[aurora-ha emulator ${this.opts.clusterId}] ${message}\n`);
  }

  // ---- stop --------------------------------------------------------------------------

  /** Idempotent; awaited, it holds the event loop open until every process and file is gone. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return keepAlive(this.stopNow());
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    const lagStopped = this.lag?.stop();
    this.names.stop();
    await this.control?.close();
    await Promise.all([...this.nodes.values()].map((n) => n.proxy.stop()));
    await this.awsSide?.close().catch(() => undefined);
    await this.backend.shutdown().catch(() => undefined);
    await lagStopped;
    await this.iam?.close();
    await this.background.catch(() => undefined);
    await rm(this.workDir, { recursive: true, force: true });
    untrackDir(this.workDir);
    this.stopWatchdog?.();
  }
}
