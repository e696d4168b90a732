/**
 * Shared test harness: start an emulated cluster for a test file and stop it afterwards.
 *
 *   const cluster = useCluster({ engine: 'postgres', instances: 3 });
 *   it('...', async () => { const c = cluster(); ... c().writerEndpoint ... });
 *
 * `useCluster` registers beforeAll/afterAll in the calling file (one cluster per file keeps
 * the suite fast); `startTestCluster` is the plain async form for custom lifecycles.
 * `pgConfig(cluster, host)` gives a ready `pg` client config for the test user.
 */
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type EmulatedCluster, type StartClusterOptions } from '../../src/emulator.js';

export async function startTestCluster(options: StartClusterOptions): Promise<EmulatedCluster> {
  return startCluster({ verbose: process.env.AURORA_HA_EMULATOR_VERBOSE === '1', ...options });
}

/** Start one cluster for the whole file; the returned getter throws until it has started. */
export function useCluster(options: StartClusterOptions): () => EmulatedCluster {
  let cluster: EmulatedCluster | undefined;
  beforeAll(async () => {
    cluster = await startTestCluster(options);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('useCluster: the cluster has not started (did beforeAll fail?)');
    return cluster;
  };
}

/** `pg` client options for the cluster's test user on `host` (default: the writer endpoint). */
export function pgConfig(
  cluster: EmulatedCluster,
  host: string = cluster.writerEndpoint.host,
): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectionTimeoutMillis: number;
  ssl?: { ca: string };
} {
  const { user, password, database } = cluster.credentials;
  // a TLS-only cluster (tls: true) is reached over TLS, trusting its CA
  const ssl = cluster.tls ? { ssl: { ca: cluster.tls.ca } } : {};
  return {
    host,
    port: cluster.writerEndpoint.port,
    user,
    password,
    database,
    connectionTimeoutMillis: 5000,
    ...ssl,
  };
}

/** `mysql2` connection options for the cluster's test user on `host` (default: the writer endpoint). */
export function mysqlConfig(
  cluster: EmulatedCluster,
  host: string = cluster.writerEndpoint.host,
): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectTimeout: number;
  ssl?: { ca: string };
} {
  const { user, password, database } = cluster.credentials;
  // a TLS-only cluster (tls: true) is reached over TLS, trusting its CA
  const ssl = cluster.tls ? { ssl: { ca: cluster.tls.ca } } : {};
  return { host, port: cluster.writerEndpoint.port, user, password, database, connectTimeout: 5000, ...ssl };
}

/** Name → loopback address of every name of the cluster, as it resolves now (for a child process's DNS map). */
export function namesOf(c: EmulatedCluster): Record<string, string> {
  const out: Record<string, string> = {};
  const instances = c.instances();
  const writer = instances.find((i) => i.role === 'writer') ?? instances[0]!;
  const reader = instances.find((i) => i.role === 'reader') ?? writer;
  for (const i of instances) out[i.host.toLowerCase()] = i.address;
  out[c.writerEndpoint.host.toLowerCase()] = writer.address;
  out[c.readerEndpoint.host.toLowerCase()] = reader.address;
  return out;
}
