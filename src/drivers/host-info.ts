/**
 * The host model: one database instance as seen by the wrapper (address, role, availability,
 * weight for selectors, when its topology row was last updated).
 */

export type HostRole = 'writer' | 'reader' | 'unknown';
export type HostAvailability = 'available' | 'unavailable';

export interface HostInfo {
  /** DNS name or IP address used to connect. */
  readonly host: string;
  readonly port: number;
  readonly role: HostRole;
  readonly availability: HostAvailability;
  /** Lower is better: `round(lagMs) * 100 + round(cpu)` for topology rows, 100 otherwise. */
  readonly weight: number;
  /** Instance identifier from the topology (Aurora server_id), when known. */
  readonly instanceId?: string;
  /** Topology row timestamp (ms since epoch), when known. */
  readonly lastUpdate?: number;
  /** Replica lag the topology reported (ms), when known. */
  readonly lagMs?: number;
}

export const DEFAULT_WEIGHT = 100;

export function hostKey(h: { host: string; port: number }): string {
  return `${h.host}:${h.port}`;
}

export function makeHost(
  host: string,
  port: number,
  fields: Partial<Omit<HostInfo, 'host' | 'port'>> = {},
): HostInfo {
  return {
    host,
    port,
    role: fields.role ?? 'unknown',
    availability: fields.availability ?? 'available',
    weight: fields.weight ?? DEFAULT_WEIGHT,
    ...(fields.instanceId !== undefined ? { instanceId: fields.instanceId } : {}),
    ...(fields.lastUpdate !== undefined ? { lastUpdate: fields.lastUpdate } : {}),
    ...(fields.lagMs !== undefined ? { lagMs: fields.lagMs } : {}),
  };
}

export function withRole(h: HostInfo, role: HostRole): HostInfo {
  return h.role === role ? h : { ...h, role };
}

export function withAvailability(h: HostInfo, availability: HostAvailability): HostInfo {
  return h.availability === availability ? h : { ...h, availability };
}

/** Same instance? By instance id when both know it, by `host:port` otherwise. */
export function sameInstance(a: HostInfo | undefined, b: HostInfo | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.instanceId !== undefined && b.instanceId !== undefined) return a.instanceId === b.instanceId;
  return hostKey(a) === hostKey(b);
}
