/**
 * Wiring for unit tests: a real `LogicalConnection` (hence the real plugin service, pipelines
 * and failover plugins) over the in-memory driver, with what a facade would record (every
 * switch of physical connection, failed failovers), a `query()` that goes through the
 * `execute` pipeline as a facade's call does, and a clean-up that ends every connection a test
 * opened. Each MemoryCluster has its own DNS id, so the process-wide registries (topology
 * cache, monitors, dialect cache, connect gates) never mix two tests.
 */
import { resolveConfig } from '../../../src/config/parse-config.js';
import { LogicalConnection } from '../../../src/connection/logical-connection.js';
import type { PluginFactory } from '../../../src/connection/plugin.js';
import { noteStatement } from '../../../src/connection/session-statements.js';
import type { PhysicalConnection } from '../../../src/drivers/driver.js';
import { hostKey } from '../../../src/drivers/host-info.js';
import { failoverPluginFactory } from '../../../src/plugins/failover/failover-plugin-factory.js';
import { failover2PluginFactory } from '../../../src/plugins/failover2/failover2-plugin-factory.js';
import { clearHostGates } from '../../../src/plugins/failover-core/host-connect-gate.js';
import type { MemoryCluster } from './cluster-script.js';
import { MemoryConnection, type MemoryNative } from './memory-connection.js';
import { MemoryDriver } from './memory-driver.js';

export type FailoverVersion = 'failover' | 'failover2';

export interface Switch {
  readonly from: string | undefined;
  readonly to: string;
}

export interface MemoryClient {
  readonly lc: LogicalConnection<MemoryNative>;
  readonly driver: MemoryDriver;
  /** Physical connection changes after the first (what the facade emits 'failover' for). */
  readonly switches: Switch[];
  /** Failed failovers reported to the facade. */
  readonly failed: Error[];
  /** A user statement through the `query` pipeline, sent on the connection current when it runs. */
  query(sql: string): Promise<unknown[][]>;
  /** The current physical connection, as the fake. */
  current(): MemoryConnection;
  /** The instance id the connection is on now. */
  instance(): string;
  end(): Promise<void>;
}

const opened = new Set<MemoryClient>();

export interface ClientOptions {
  readonly plugins?: readonly FailoverVersion[] | readonly PluginFactory[];
  /** aurora-ha options (failoverTimeoutMs, failoverMode, …); small test defaults below. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Host to connect to; the writer cluster endpoint by default. */
  readonly host?: string;
  /** Share one driver between clients (counts connects across them). */
  readonly driver?: MemoryDriver;
}

/** Defaults sized for milliseconds: every bound a failover uses is small but above one turn of the loop. */
export const FAST_OPTIONS = {
  failoverTimeoutMs: 2_000,
  failoverReaderConnectTimeoutMs: 500,
  failoverWriterReconnectIntervalMs: 40,
  failoverClusterTopologyRefreshRateMs: 40,
  topologyRefreshMs: 5_000,
  clusterTopologyHighRefreshRateMs: 50,
} as const;

function factoriesOf(plugins: ClientOptions['plugins']): readonly PluginFactory[] {
  const list = plugins ?? ['failover'];
  return list.map((p) =>
    p === 'failover' ? failoverPluginFactory : p === 'failover2' ? failover2PluginFactory : p,
  );
}

/** A logical connection over the memory driver, not yet opened. */
export function memoryClient(cluster: MemoryCluster, o: ClientOptions = {}): MemoryClient {
  const driver = o.driver ?? new MemoryDriver(cluster);
  const config = resolveConfig('postgres', {
    host: o.host ?? cluster.endpoint,
    port: cluster.port,
    user: 'app',
    ...FAST_OPTIONS,
    ...o.options,
  });
  const lc = new LogicalConnection<MemoryNative>(config, driver, factoriesOf(o.plugins));
  const switches: Switch[] = [];
  const failed: Error[] = [];
  lc.observe({
    connectionChanged(conn: PhysicalConnection, previous: PhysicalConnection | undefined) {
      if (previous !== undefined) switches.push({ from: hostKey(previous.host), to: hostKey(conn.host) });
    },
    failoverFailed(_from, error) {
      failed.push(error);
    },
  });
  const current = (): MemoryConnection => {
    const c = lc.current;
    if (!(c instanceof MemoryConnection)) throw new Error('not connected');
    return c;
  };
  const client: MemoryClient = {
    lc,
    driver,
    switches,
    failed,
    // As a facade: the statement is noted on a watched reader session (retryReadsOnFailover).
    query: (sql) =>
      lc.execute('query', () => {
        const conn = current();
        noteStatement(conn, sql);
        return conn.query(sql);
      }),
    current,
    instance: () => current().instance.id,
    end: async () => {
      opened.delete(client);
      await lc.end();
    },
  };
  opened.add(client);
  return client;
}

/** A connected client (opened through the connect pipeline: dialect, topology, monitor). */
export async function connectedClient(cluster: MemoryCluster, o: ClientOptions = {}): Promise<MemoryClient> {
  const client = memoryClient(cluster, o);
  await client.lc.open();
  return client;
}

/** End every client still open and forget the per-host connect gates (afterEach). */
export async function endAllClients(): Promise<void> {
  const all = [...opened];
  opened.clear();
  await Promise.allSettled(all.map((c) => c.lc.end()));
  clearHostGates();
}

/** Resolves once `cond()` is true, polling every `everyMs`; rejects after `withinMs` naming `what`. */
export async function until(cond: () => boolean, what: string, withinMs = 2_000, everyMs = 2): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, everyMs).unref());
  }
}

/** The settled outcome of a promise, for asserting on rejections without a floating promise. */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The rejection of a settled outcome; throws (failing the test) when it resolved instead. */
export function errorOf<T>(r: Outcome<T>): unknown {
  if (r.ok) throw new Error(`expected a rejection, got the result ${JSON.stringify(r.value)}`);
  return r.error;
}
