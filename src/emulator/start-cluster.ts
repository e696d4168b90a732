/**
 * `startCluster`: checks the options (before anything starts), creates the work dir, the
 * engine backend and a free loopback address plan, then starts a Cluster (cluster.ts),
 * retrying on another subnet when an address is taken. Held open by keepAlive until it runs.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canBind, isAddressInUse, randomPlan } from './addresses.js';
import { Cluster, DEFAULT_CREDENTIALS } from './cluster.js';
import { ClusterIam } from './iam/cluster-iam.js';
import type { BackendOptions, EmulatedEngine, EngineBackend } from './engine.js';
import { keepAlive } from '../core/keep-alive.js';
import { resolveStartOptions, type ResolvedStartOptions } from './options.js';
import { chownTree, emulatorTempRoot, trackDir, untrackDir } from './processes.js';
import type { EmulatedCluster, StartClusterOptions } from './types.js';

async function createBackend(engine: EmulatedEngine, options: BackendOptions): Promise<EngineBackend> {
  if (engine === 'postgres') {
    const mod = await import('./postgres/pg-backend.js');
    return mod.createPostgresBackend(options);
  }
  const mod = await import('./mysql/mysql-backend.js');
  return mod.createMysqlBackend(options);
}

function randomClusterId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 12; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/**
 * Start an emulated cluster of real engines on loopback (see docs/emulator.md). Options are
 * checked before anything starts; the event loop is held open until the cluster runs.
 */
export function startCluster(options: StartClusterOptions): Promise<EmulatedCluster> {
  let resolved: ResolvedStartOptions;
  try {
    resolved = resolveStartOptions(options);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return keepAlive(launch(resolved));
}

async function launch(resolved: ResolvedStartOptions): Promise<EmulatedCluster> {
  const { engine, flavor, instances: count, maxConnections } = resolved;
  const opts = { ...resolved, clusterId: resolved.clusterId ?? randomClusterId() };
  for (let attempt = 0; ; attempt++) {
    const workDir = await mkdtemp(join(emulatorTempRoot(), `aurora-ha-${randomBytes(2).toString('hex')}-`));
    trackDir(workDir);
    let cluster: Cluster | undefined;
    let iam: ClusterIam | undefined;
    try {
      await chmod(workDir, 0o755);
      await chownTree(workDir);
      iam = opts.iam
        ? await ClusterIam.create({
            engine,
            region: opts.region,
            ttlMs: opts.iamTokenTtlMs,
            loginsPerSecond: opts.iamLoginsPerSecond,
          })
        : undefined;
      const backend = await createBackend(engine, {
        flavor,
        workDir,
        maxConnections,
        tls: opts.tls,
        ...DEFAULT_CREDENTIALS,
        ...(iam ? { iam: { user: iam.user, ...iam.backendOptions() } } : {}),
      });
      let plan = randomPlan();
      for (let probe = 0; probe < 10; probe++) {
        const free = await Promise.all(
          Array.from({ length: count }, (_, i) => canBind(plan.internalAddress(i + 1), plan.port)),
        );
        if (!free.includes(false)) break;
        plan = randomPlan();
      }
      cluster = new Cluster(engine, flavor, backend, plan, workDir, opts, iam);
      await cluster.start(count);
      return cluster;
    } catch (err) {
      if (cluster) await cluster.stop().catch(() => undefined);
      await iam?.close();
      await rm(workDir, { recursive: true, force: true });
      untrackDir(workDir);
      if (!(isAddressInUse(err) && attempt < 5)) throw err;
    }
  }
}
