/**
 * Test fixture run as a separate process: starts a cluster, prints one JSON line with its
 * subnet, port and data dir, then waits to be killed (the orphan test SIGKILLs it).
 */
import { startCluster } from '../../src/emulator.js';
import { clusterSubnet, engineProcesses } from './engine-processes.js';

async function main(): Promise<void> {
  const engine = process.argv[2] === 'mysql' ? 'mysql' : 'postgres';
  const cluster = await startCluster({ engine, instances: 2 });
  const subnet = clusterSubnet(cluster);
  const procs = engineProcesses(subnet, cluster.writerEndpoint.port);
  process.stdout.write(
    `${JSON.stringify({ subnet, port: cluster.writerEndpoint.port, pids: procs.map((p) => p.pid), cmdlines: procs.map((p) => p.cmdline) })}\n`,
  );
  setInterval(() => undefined, 1000);
}

void main();
