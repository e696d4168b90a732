/**
 * The attach protocol between an emulated cluster's control server (control-server.ts) and
 * a process started with `aurora-ha/emulator/attach` (attach-client.ts): newline-delimited
 * JSON over one TCP connection on loopback. The server sends the cluster's name table when
 * the connection opens and again on every change; the client sends nothing.
 */

/** What the cluster's names answer now (the cluster endpoints as lagged by `dnsLagMs`). */
export interface NameTable {
  /** Every name of the cluster ends with it. */
  readonly domain: string;
  readonly writerHost: string;
  readonly readerHost: string;
  /** Address the writer endpoint answers; null while it answers nothing. */
  readonly writer: string | null;
  /** Addresses the reader endpoint answers at random (the writer's when empty). */
  readonly readers: readonly string[];
  /** Instance host name → address. */
  readonly instances: Readonly<Record<string, string>>;
}

/** One line on the wire. */
export interface NamesMessage extends NameTable {
  readonly type: 'names';
  readonly v: 1;
}

/** A line longer than this ends the connection (a table of 15 instances is about 2 KB). */
export const MAX_LINE_BYTES = 64 * 1024;

export function encodeTable(table: NameTable): string {
  const message: NamesMessage = { type: 'names', v: 1, ...table };
  return `${JSON.stringify(message)}\n`;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The table carried by one line, or undefined when the line is not a valid names message. */
export function decodeTable(line: string): NameTable | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  if (m.type !== 'names' || m.v !== 1) return undefined;
  const { domain, writerHost, readerHost, writer, readers, instances } = m;
  if (!isString(domain) || !isString(writerHost) || !isString(readerHost)) return undefined;
  if (writer !== null && !isString(writer)) return undefined;
  if (!Array.isArray(readers) || !readers.every(isString)) return undefined;
  if (typeof instances !== 'object' || instances === null) return undefined;
  const hosts: Record<string, string> = {};
  for (const [host, address] of Object.entries(instances)) {
    if (!isString(address)) return undefined;
    hosts[host.toLowerCase()] = address;
  }
  return {
    domain: domain.toLowerCase(),
    writerHost: writerHost.toLowerCase(),
    readerHost: readerHost.toLowerCase(),
    writer,
    readers,
    instances: hosts,
  };
}
