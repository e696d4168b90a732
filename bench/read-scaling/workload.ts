/**
 * One client group: WORKERS read loops on one reader pool, a warm-up, a steady phase, then a
 * crash of the reader holding the most pool connections (distinct sessions seen before the
 * crash; ties go to the reader of the first read), then `afterMs` more reads. Every read is
 * recorded with its start and end time and its outcome; socket connects to the cluster's port
 * are counted from the pool's creation to its end (bench/failover's ConnectCounter). A failed
 * read is followed by a 10 ms pause, so that fast-failing loops do not starve the rest.
 */
import type { EmulatedCluster } from '../../src/emulator.js';
import { ConnectCounter } from '../failover/connect-counter.js';
import { errorKind } from './error-kind.js';
import { readerPool, type Family } from './pools.js';
import { ROWS, SUM } from './seed.js';

export interface ReadRecord {
  start: number;
  end: number;
  /** Answering instance; undefined when the read failed. */
  instance?: string;
  session?: string;
  /** The rows did not match the seed. */
  wrong?: boolean;
  /** Error name/code when the read failed. */
  error?: string;
}

export interface GroupRun {
  client: string;
  records: ReadRecord[];
  victim: string;
  /** Pool connections per reader before the crash (distinct sessions seen). */
  spread: Record<string, number>;
  /** End of the warm-up: reads started before it are not in the latency figures. */
  warmedAt: number;
  crashAt: number;
  connects: number;
}

export interface GroupSettings {
  workers: number;
  poolSize: number;
  /** Pool opening, first reads: counted, but not in the latency figures. */
  warmUpMs: number;
  steadyMs: number;
  afterMs: number;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** The engines' own addresses: instance k's fault proxy is 127.a.b.k, its engine 127.a.b.(100+k). */
function engineAddresses(c: EmulatedCluster): Set<string> {
  const out = new Set<string>();
  for (const i of c.instances()) {
    const parts = i.address.split('.');
    const last = Number(parts[3]);
    if (parts.length === 4 && Number.isInteger(last)) out.add(`${parts.slice(0, 3).join('.')}.${last + 100}`);
  }
  return out;
}

/** Connections per instance before `until` (distinct sessions), and the reader to crash. */
function pickVictim(
  records: readonly ReadRecord[],
  until: number,
): { victim: string; spread: Record<string, number> } {
  const sessions = new Map<string, Set<string>>();
  let first: ReadRecord | undefined;
  for (const r of records) {
    if (r.instance === undefined || r.end > until) continue;
    if (first === undefined || r.start < first.start) first = r;
    const set = sessions.get(r.instance) ?? new Set<string>();
    set.add(r.session ?? '');
    sessions.set(r.instance, set);
  }
  if (first?.instance === undefined) throw new Error('no successful read before the crash');
  const spread: Record<string, number> = {};
  for (const id of [...sessions.keys()].sort()) spread[id] = sessions.get(id)!.size;
  const most = Math.max(...Object.values(spread));
  const victim =
    spread[first.instance] === most ? first.instance : Object.keys(spread).find((id) => spread[id] === most)!;
  return { victim, spread };
}

export async function runGroup(
  c: EmulatedCluster,
  family: Family,
  settings: GroupSettings,
  signal: AbortSignal,
): Promise<GroupRun> {
  const counter = new ConnectCounter(c.readerEndpoint.port, engineAddresses(c));
  const startedAt = Date.now();
  const pool = readerPool(c, family, settings.poolSize);
  const records: ReadRecord[] = [];
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const start = performance.now();
      const record: ReadRecord = { start: Date.now(), end: 0 };
      try {
        const r = await pool.read();
        record.instance = r.instance;
        record.session = r.session;
        if (r.n !== ROWS || r.s !== SUM) record.wrong = true;
      } catch (err) {
        record.error = errorKind(err);
        // A plain pool can fail fast (refused connects): don't spin the CPU the others need.
        await pause(10);
      }
      record.end = record.start + (performance.now() - start);
      records.push(record);
    }
  };
  const workers = Array.from({ length: settings.workers }, worker);
  try {
    await pause(settings.warmUpMs);
    const warmedAt = Date.now();
    await pause(settings.steadyMs);
    const crashAt = Date.now();
    const { victim, spread } = pickVictim(records, crashAt);
    if (!signal.aborted) await c.crash(victim);
    const left = crashAt + settings.afterMs - Date.now();
    if (left > 0 && !signal.aborted) await pause(left);
    stop = true;
    await Promise.race([Promise.all(workers), pause(30_000)]);
    return {
      client: pool.label,
      records: [...records],
      victim,
      spread,
      warmedAt,
      crashAt,
      connects: counter.between(startedAt, Date.now()),
    };
  } finally {
    stop = true;
    await Promise.race([pool.end().catch(() => undefined), pause(10_000)]);
    counter.stop();
  }
}
