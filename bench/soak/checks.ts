/**
 * The soak's end-of-run checks, each a number that must be 0: acknowledged writes missing
 * from the ledger, calls past their bound, errors outside the documented set, unhandled
 * errors / rejections, client sockets to the cluster left open after end(), host monitors
 * still running, server sessions of the soak's user (the workload's login) left on any instance.
 */
import net from 'node:net';
import type { EmulatedCluster } from '../../src/emulator.js';
import { hostMonitorStats } from '../../src/plugins/host-monitoring/monitor-registry.js';
import type { SoakLogin } from './auth.js';
import { ledgerKeys, sessionsOn } from './ledger.js';
import type { WorkloadTally } from './workload.js';

export interface CheckResults {
  acknowledgedWrites: number;
  acknowledgedMissing: number;
  missingExamples: string[];
  callsOverBound: number;
  undocumentedErrors: number;
  unhandled: number;
  clientSocketsLeft: number;
  monitorsLeft: number;
  sessionsLeft: Record<string, number>;
}

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Sockets of this process connected to one of the cluster's instance addresses (clients, not the emulator's proxies). */
export function clientSocketsToCluster(cluster: EmulatedCluster): number {
  const addresses = new Set(cluster.instances().map((i) => i.address));
  const port = cluster.writerEndpoint.port;
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (h) =>
      h instanceof net.Socket &&
      !h.destroyed &&
      h.remotePort === port &&
      h.remoteAddress !== undefined &&
      addresses.has(h.remoteAddress),
  ).length;
}

async function settle<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < end) {
    await pause(200);
    v = await read();
  }
  return v;
}

export async function runChecks(
  cluster: EmulatedCluster,
  tally: WorkloadTally,
  unhandled: number,
  login?: SoakLogin,
): Promise<CheckResults> {
  const keys = await ledgerKeys(cluster);
  const missing = tally.acknowledged.filter((k) => !keys.has(k));
  const clientSocketsLeft = await settle(
    () => clientSocketsToCluster(cluster),
    (n) => n === 0,
    10_000,
  );
  const monitorsLeft = await settle(
    () => hostMonitorStats().length,
    (n) => n === 0,
    5_000,
  );
  const sessions = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const i of cluster.instances())
      if (i.role !== 'down') out[i.id] = await sessionsOn(cluster, i.host, login);
    return out;
  };
  const sessionsLeft = await settle(sessions, (s) => Object.values(s).every((n) => n === 0), 10_000);
  return {
    acknowledgedWrites: tally.acknowledged.length,
    acknowledgedMissing: missing.length,
    missingExamples: missing.slice(0, 10),
    callsOverBound: tally.overBound.length,
    undocumentedErrors: Object.values(tally.undocumented).reduce((n, e) => n + e.count, 0),
    unhandled,
    clientSocketsLeft,
    monitorsLeft,
    sessionsLeft,
  };
}

/** True when every check is 0. */
export function allPassed(r: CheckResults): boolean {
  return (
    r.acknowledgedMissing === 0 &&
    r.callsOverBound === 0 &&
    r.undocumentedErrors === 0 &&
    r.unhandled === 0 &&
    r.clientSocketsLeft === 0 &&
    r.monitorsLeft === 0 &&
    Object.values(r.sessionsLeft).every((n) => n === 0)
  );
}
