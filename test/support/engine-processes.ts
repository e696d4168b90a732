/**
 * Test helper: find the engine processes of one emulated cluster from outside (Linux /proc):
 * their command lines name the cluster's internal subnet and port.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { EmulatedCluster } from '../../src/emulator.js';

export interface EngineProcess {
  pid: number;
  cmdline: string;
}

/** `127.a.b.` of a cluster (public and internal addresses share it). */
export function clusterSubnet(cluster: EmulatedCluster): string {
  const address = cluster.instances()[0]?.address;
  if (!address) throw new Error('cluster has no instance');
  return address.replace(/\.\d+$/, '.');
}

export function engineProcesses(subnet: string, port: number): EngineProcess[] {
  const out: EngineProcess[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(subnet) && cmdline.includes(String(port)) && !cmdline.includes('vitest')) {
        out.push({ pid: Number(entry), cmdline });
      }
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
