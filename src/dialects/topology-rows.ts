/**
 * Pure topology rules (ARCHITECTURE.md › Dialect SQL and topology rules): turning raw result rows into `TopologyRow`s, choosing the
 * writer, and the host weight. No I/O here, so every rule is unit-testable.
 */
import type { TopologyRow } from './dialect.js';

/** Number from a driver value (number, bigint, numeric string); `fallback` for NULL / garbage. */
export function toNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : fallback;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : fallback;
  }
  return fallback;
}

/** Boolean from a driver value: PG `true`/`'t'`, MySQL `1`/`'1'`/`1n`. */
export function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return ['t', 'true', '1', 'on', 'yes'].includes(value.trim().toLowerCase());
  return false;
}

/** ms since epoch from a Date, an ISO-ish string or a number; undefined for NULL / unparseable. */
export function toEpochMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const ms = Date.parse(value.includes('T') || !value.includes(' ') ? value : value.replace(' ', 'T'));
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** An Aurora-shaped row `[server_id, is_writer, cpu, lag_ms, last_update]`; undefined when it has no id. */
export function parseAuroraRow(raw: readonly unknown[]): TopologyRow | undefined {
  const [id, isWriter, cpu, lag, lastUpdate] = raw;
  const instanceId = toText(id);
  if (instanceId === undefined || instanceId === '') return undefined;
  const row: TopologyRow = {
    instanceId,
    isWriter: toBoolean(isWriter),
    cpu: toNumber(cpu),
    lagMs: toNumber(lag),
  };
  const ms = toEpochMs(lastUpdate);
  if (ms !== undefined) row.lastUpdate = ms;
  return row;
}

/** A Multi-AZ row `[id, endpoint, port]`; the writer is known by id from a separate query. */
export function parseMultiAzRow(
  raw: readonly unknown[],
  writerId: string | undefined,
): TopologyRow | undefined {
  const [id, endpoint, port] = raw;
  const instanceId = toText(id);
  if (instanceId === undefined || instanceId === '') return undefined;
  const row: TopologyRow = { instanceId, isWriter: instanceId === writerId, cpu: 0, lagMs: 0 };
  const host = toText(endpoint);
  if (host !== undefined && host !== '') row.endpoint = host;
  const p = toNumber(port, NaN);
  if (Number.isInteger(p) && p > 0) row.port = p;
  return row;
}

/**
 * Apply the topology rules: no writer row → rejected (undefined); several writer rows →
 * the one with the newest `lastUpdate` stays the writer and the others are dropped (an
 * instance that still claims the role in stale metadata is not a usable reader either).
 * Duplicate instance ids keep their first row.
 */
export function acceptTopology(rows: readonly TopologyRow[]): TopologyRow[] | undefined {
  const writers = rows.filter((r) => r.isWriter);
  if (writers.length === 0) return undefined;
  let writer = writers[0] as TopologyRow;
  for (const w of writers) {
    if ((w.lastUpdate ?? -Infinity) > (writer.lastUpdate ?? -Infinity)) writer = w;
  }
  const seen = new Set<string>([writer.instanceId]);
  const result: TopologyRow[] = [writer];
  for (const r of rows) {
    if (r.isWriter || seen.has(r.instanceId)) continue;
    seen.add(r.instanceId);
    result.push(r);
  }
  return result;
}

/** Host weight for selectors: lower is better. */
export function topologyWeight(row: Pick<TopologyRow, 'lagMs' | 'cpu'>): number {
  return Math.round(row.lagMs) * 100 + Math.round(row.cpu);
}
