/**
 * The soak's fault injector: one fault at a time, picked at random, with the cluster left
 * to settle after each: failover, silent failover (the old writer mute until healed), switchover, a reader crash (and its reboot), a reboot,
 * blackhole / reset / refuse partitions of the writer or a reader healed after a few
 * seconds, latency spikes. Every fault is logged with its time for the report. With
 * `--auth secrets`, a rotation of the cluster's secret on its own clock beside them.
 */
import type { EmulatedCluster, PartitionMode } from '../../src/emulator.js';

export interface FaultEvent {
  at: number;
  kind: string;
  target?: string;
  detail?: string;
  error?: string;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    t.unref();
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

type Fault = (c: EmulatedCluster, signal: AbortSignal) => Promise<Omit<FaultEvent, 'at'>>;

function writer(c: EmulatedCluster): string {
  return c.instances().find((i) => i.role === 'writer')?.id ?? '';
}

function reader(c: EmulatedCluster): string | undefined {
  const readers = c.instances().filter((i) => i.role === 'reader');
  return readers.length === 0 ? undefined : pick(readers).id;
}

function partition(on: 'writer' | 'reader', mode: PartitionMode): Fault {
  return async (c, signal) => {
    const id = on === 'writer' ? writer(c) : reader(c);
    if (id === undefined) return { kind: `partition-${mode}`, detail: 'no reader' };
    const ms = Math.round(between(2000, 8000));
    c.partition(id, { mode });
    await pause(ms, signal);
    c.heal(id);
    return { kind: `partition-${mode}`, target: `${on} ${id}`, detail: `healed after ${ms} ms` };
  };
}

export const FAULTS: Readonly<Record<string, Fault>> = {
  failover: async (c) => ({ kind: 'failover', detail: `new writer ${(await c.failover()).newWriter}` }),
  'silent-failover': async (c, signal) => {
    const old = writer(c);
    const { newWriter } = await c.failover({ silent: true });
    const ms = Math.round(between(2000, 6000));
    await pause(ms, signal);
    c.heal(old);
    return {
      kind: 'silent-failover',
      target: old,
      detail: `new writer ${newWriter}, old one healed after ${ms} ms`,
    };
  },
  switchover: async (c) => ({ kind: 'switchover', detail: `new writer ${(await c.switchover()).newWriter}` }),
  'reader-crash': async (c, signal) => {
    const id = reader(c);
    if (id === undefined) return { kind: 'reader-crash', detail: 'no reader' };
    await c.crash(id);
    await pause(between(1000, 4000), signal);
    await c.reboot(id);
    return { kind: 'reader-crash', target: id, detail: 'rebooted' };
  },
  'writer-reboot': async (c) => {
    const id = writer(c);
    await c.reboot(id);
    return { kind: 'writer-reboot', target: id };
  },
  'blackhole-writer': partition('writer', 'blackhole'),
  'blackhole-reader': partition('reader', 'blackhole'),
  'reset-writer': partition('writer', 'reset'),
  'refuse-writer': partition('writer', 'refuse'),
  'refuse-reader': partition('reader', 'refuse'),
  'latency-spike': async (c, signal) => {
    const id = writer(c);
    const ms = Math.round(between(50, 300));
    c.latency(id, ms);
    await pause(3000, signal);
    c.latency(id, 0);
    return { kind: 'latency-spike', target: id, detail: `${ms} ms for 3 s` };
  },
};

/** Inject faults until `signal` aborts; every fault is healed and settled before the next. */
export async function injectFaults(
  cluster: EmulatedCluster,
  everyMs: number,
  signal: AbortSignal,
  log: FaultEvent[],
  kinds: readonly string[] = Object.keys(FAULTS),
): Promise<void> {
  const names = kinds.filter((k) => k in FAULTS);
  if (names.length === 0)
    throw new Error(`no known fault among ${kinds.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  await pause(between(0.5, 1) * everyMs, signal);
  while (!signal.aborted) {
    const name = pick(names);
    const at = Date.now();
    try {
      log.push({ at, ...(await FAULTS[name]!(cluster, signal)) });
    } catch (err) {
      log.push({ at, kind: name, error: err instanceof Error ? err.message : String(err) });
    }
    await cluster.settled();
    await pause(between(0.5, 1.5) * everyMs, signal);
  }
}

/** Rotations of the cluster's secret (`--auth secrets`), for the report. */
export interface RotationTally {
  everyMs: number;
  done: number;
  errors: number;
}

/** After a rotation that could not start (e.g. no writer in a failover), the next try. */
const ROTATION_RETRY_MS = 10_000;

/**
 * Rotate the cluster's secret every `everyMs` until `signal` aborts, beside the random faults
 * (a rotation may overlap a failover, as in production): the new password is set on every
 * instance, AWSCURRENT moves after the emulator's window. Each rotation is a fault event
 * (`rotate-secret`); one that fails is logged with its error and tried again sooner.
 */
export async function rotateSecrets(
  cluster: EmulatedCluster,
  everyMs: number,
  signal: AbortSignal,
  log: FaultEvent[],
  tally: RotationTally,
): Promise<void> {
  await pause(everyMs, signal);
  while (!signal.aborted) {
    const at = Date.now();
    let next = everyMs;
    try {
      const rotation = await cluster.rotateSecret();
      const applied = Date.now();
      await rotation.completed();
      tally.done++;
      log.push({
        at,
        kind: 'rotate-secret',
        detail: `new password on every instance after ${applied - at} ms, AWSCURRENT moved ${rotation.currentAt - applied} ms later`,
      });
    } catch (err) {
      tally.errors++;
      next = ROTATION_RETRY_MS;
      log.push({ at, kind: 'rotate-secret', error: err instanceof Error ? err.message : String(err) });
    }
    await pause(next, signal);
  }
}
