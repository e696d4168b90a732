/**
 * The attach protocol between an emulated cluster's control server (control-server.ts) and
 * a process started with `aurora-ha/emulator/attach` (attach-client.ts): newline-delimited
 * JSON over one TCP connection on loopback. The server sends the cluster's name table when
 * the connection opens and again on every change. The client may call the cluster's fault
 * operations (`call` lines, CONTROL_OPS), each answered by one `reply` line with its id.
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

/** The cluster operations an attached process may call (attached-cluster.ts), by name. */
export const CONTROL_OPS = [
  'failover',
  'switchover',
  'crash',
  'reboot',
  'partition',
  'heal',
  'latency',
  'hold',
  'release',
  'addReader',
  'removeReader',
  'topology',
  'settled',
] as const;

export type ControlOp = (typeof CONTROL_OPS)[number];

export interface CallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly op: ControlOp;
  readonly args: readonly unknown[];
}

export type ReplyMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly ok: false;
      readonly code: string;
      readonly message: string;
    };

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A call line, or undefined when the line is not one (the server answers nothing then). */
export function decodeCall(line: string): CallMessage | undefined {
  const m = parseObject(line);
  if (!m || m.type !== 'call' || !Number.isSafeInteger(m.id) || !Array.isArray(m.args)) return undefined;
  if (!(CONTROL_OPS as readonly unknown[]).includes(m.op)) return undefined;
  return { type: 'call', id: m.id as number, op: m.op as ControlOp, args: m.args as unknown[] };
}

/** A reply line, or undefined when the line is not one (a names line, say). */
export function decodeReply(line: string): ReplyMessage | undefined {
  const m = parseObject(line);
  if (!m || m.type !== 'reply' || !Number.isSafeInteger(m.id)) return undefined;
  const id = m.id as number;
  if (m.ok === true) return { type: 'reply', id, ok: true, value: m.value };
  return {
    type: 'reply',
    id,
    ok: false,
    code: typeof m.code === 'string' ? m.code : 'EMULATOR_CONTROL',
    message: typeof m.message === 'string' ? m.message : 'the emulator refused the call',
  };
}

export const encodeLine = (message: CallMessage | ReplyMessage): string => `${JSON.stringify(message)}\n`;
