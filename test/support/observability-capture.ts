/**
 * What the observability integration suites (observability-suite.ts, observability-coverage-suite.ts)
 * share: subscribers collecting every aurora-ha channel's messages, a logger collecting its lines,
 * and the clients of both engines (a logical connection and a pool), so each suite is one body
 * for PostgreSQL and MySQL.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection, createPool } from '../../src/mysql2-promise.js';
import { Client, Pool } from '../../src/pg.js';
import {
  CONNECT_CHANNEL,
  FAILOVER_CHANNEL,
  MONITOR_CHANNEL,
  TOPOLOGY_CHANNEL,
  type ConnectMessage,
  type FailoverMessage,
  type MonitorMessage,
  type TopologyMessage,
} from '../../src/observe/channels.js';
import { mysqlConfig, pgConfig } from './cluster.js';

export interface Traced<M> {
  start: M[];
  asyncEnd: M[];
}

/** Collect `start` and `asyncEnd` of TracingChannel `name` until the cleanups run. */
export function traced<M>(name: string, cleanups: (() => void)[]): Traced<M> {
  const t: Traced<M> = { start: [], asyncEnd: [] };
  const onStart = (m: unknown): void => void t.start.push(m as M);
  const onEnd = (m: unknown): void => void t.asyncEnd.push(m as M);
  subscribe(`tracing:${name}:start`, onStart);
  subscribe(`tracing:${name}:asyncEnd`, onEnd);
  cleanups.push(() => {
    unsubscribe(`tracing:${name}:start`, onStart);
    unsubscribe(`tracing:${name}:asyncEnd`, onEnd);
  });
  return t;
}

/** Collect the messages of channel `name` until the cleanups run. */
export function plain<M>(name: string, cleanups: (() => void)[]): M[] {
  const out: M[] = [];
  const on = (m: unknown): void => void out.push(m as M);
  subscribe(name, on);
  cleanups.push(() => unsubscribe(name, on));
  return out;
}

/** Every aurora-ha channel at once. */
export interface Captured {
  readonly failovers: Traced<FailoverMessage>;
  readonly connects: Traced<ConnectMessage>;
  readonly topology: TopologyMessage[];
  readonly monitor: MonitorMessage[];
}

export function captureAll(cleanups: (() => void)[]): Captured {
  return {
    failovers: traced<FailoverMessage>(FAILOVER_CHANNEL, cleanups),
    connects: traced<ConnectMessage>(CONNECT_CHANNEL, cleanups),
    topology: plain<TopologyMessage>(TOPOLOGY_CHANNEL, cleanups),
    monitor: plain<MonitorMessage>(MONITOR_CHANNEL, cleanups),
  };
}

export interface LogLine {
  readonly level: string;
  readonly line: string;
}

/** A logger (the `logger` option) keeping its lines. */
export function collectingLogger(): {
  logger: Record<'debug' | 'info' | 'warn' | 'error', (line: string) => void>;
  lines: LogLine[];
} {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (line: string): void =>
      void lines.push({ level, line });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

export interface ObsClient {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

export interface ObsPool {
  query(sql: string): Promise<unknown>;
  end(): Promise<unknown>;
}

/** One engine's clients for the suites; `host` defaults to the writer endpoint. */
export interface ObsOps<C extends ObsClient> {
  readonly engine: 'postgres' | 'mysql';
  make(cluster: EmulatedCluster, options: Record<string, unknown>, host?: string): C;
  run(c: C, sql: string): Promise<unknown>;
  makePool(cluster: EmulatedCluster, options: Record<string, unknown>): ObsPool;
}

export const pgOps: ObsOps<Client> = {
  engine: 'postgres',
  make: (cluster, options, host) => new Client({ ...pgConfig(cluster, host), ...options }),
  run: (c, sql) => c.query(sql),
  makePool: (cluster, options) => new Pool({ ...pgConfig(cluster), max: 2, ...options }),
};

export const mysqlOps: ObsOps<PromiseConnection> = {
  engine: 'mysql',
  make: (cluster, options, host) => new PromiseConnection({ ...mysqlConfig(cluster, host), ...options }),
  run: (c, sql) => c.query(sql),
  makePool: (cluster, options) => createPool({ ...mysqlConfig(cluster), connectionLimit: 2, ...options }),
};
