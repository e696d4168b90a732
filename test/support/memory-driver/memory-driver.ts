/**
 * The in-memory DriverAdapter: connects to the scripted cluster (cluster-script.ts) through the
 * same bounded connect step as the real adapters (src/drivers/bounded-connect.ts: timeoutMs,
 * abort signal, the half-open connection destroyed on failure), and classifies errors with pg's
 * own classifier, so every plugin above sees exactly what it would see from `aurora-ha/pg`.
 * Connects honour the instance's script: accepted after `connectDelayMs`, refused
 * (ECONNREFUSED), or silent until the caller's bound or signal ends them.
 */
import type {
  ConnectOptions,
  DriverAdapter,
  ErrorKind,
  PhysicalConnection,
  SessionState,
} from '../../../src/drivers/driver.js';
import type { HostInfo } from '../../../src/drivers/host-info.js';
import { hostKey } from '../../../src/drivers/host-info.js';
import { connectBounded } from '../../../src/drivers/bounded-connect.js';
import { classifyPgError } from '../../../src/drivers/pg/pg-errors.js';
import { sqlError } from './aurora-answers.js';
import type { MemoryCluster, MemoryInstance } from './cluster-script.js';
import { MemoryConnection, type MemoryNative } from './memory-connection.js';

/** The driver config a test passes (the fake needs none; kept for the contract's shape). */
export type MemoryConfig = Readonly<Record<string, unknown>>;

export class MemoryDriver implements DriverAdapter<MemoryConfig, MemoryNative> {
  readonly engine = 'postgres' as const;
  readonly defaultPort: number;
  /** Every connect asked of the driver, by `host:port` as requested (tests count them). */
  readonly connectsTo = new Map<string, number>();

  constructor(readonly cluster: MemoryCluster) {
    this.defaultPort = cluster.port;
  }

  /** Connect attempts made through this driver in total. */
  get connectCount(): number {
    let n = 0;
    for (const v of this.connectsTo.values()) n += v;
    return n;
  }

  connect(host: HostInfo, _config: MemoryConfig, options?: ConnectOptions): Promise<MemoryConnection> {
    const key = hostKey(host);
    this.connectsTo.set(key, (this.connectsTo.get(key) ?? 0) + 1);
    const instance = this.cluster.resolve(host.host);
    if (instance === undefined) {
      return Promise.reject(sqlError('ENOTFOUND', `getaddrinfo ENOTFOUND ${host.host}`));
    }
    instance.connectAttempts++;
    const conn = new MemoryConnection(host, instance, this.cluster);
    return connectBounded(conn, () => this.handshake(instance, conn), options ?? {});
  }

  private handshake(instance: MemoryInstance, conn: MemoryConnection): Promise<void> {
    const mode = instance.connectScript?.(instance.connectAttempts) ?? instance.connectMode;
    if (mode === 'silent') {
      this.cluster.note('silent-connect', instance.id);
      return new Promise<void>(() => undefined); // until the caller's bound or signal aborts it
    }
    return new Promise<void>((resolve, reject) => {
      const answer = (): void => {
        // The script may have changed during the delay: the instance's state now decides.
        if (
          mode === 'refuse' ||
          (instance.connectScript === undefined && instance.connectMode === 'refuse')
        ) {
          this.cluster.note('refused', instance.id);
          reject(sqlError('ECONNREFUSED', `connect ECONNREFUSED ${hostKey(conn.host)}`));
          return;
        }
        if (conn.closed) {
          reject(new Error('Connection terminated'));
          return;
        }
        instance.open.add(conn);
        this.cluster.note('connect', instance.id);
        resolve();
      };
      if (instance.connectDelayMs > 0) setTimeout(answer, instance.connectDelayMs).unref();
      else queueMicrotask(answer);
    });
  }

  classify(err: unknown, conn?: PhysicalConnection<MemoryNative>): ErrorKind {
    return classifyPgError(err, conn);
  }

  readSessionState(): Promise<SessionState> {
    return Promise.resolve({});
  }

  restoreSessionState(): Promise<void> {
    return Promise.resolve();
  }
}
