/**
 * Reads the server-status flags (SERVER_STATUS_IN_TRANS and friends) of the OK and EOF
 * packets mysql2 receives, without parsing SQL. mysql2 reads those flags but does not keep
 * them on the connection, so we observe packets on their way into the connection's
 * `handlePacket`, using the command's protocol state to tell an OK / EOF packet from a
 * row that happens to start with the same byte.
 */
import { beforeEachPacket } from './internals.js';

export const SERVER_STATUS_IN_TRANS = 0x0001;
export const SERVER_STATUS_AUTOCOMMIT = 0x0002;
/** Set when the OK packet carries session-state tracking data (CLIENT_SESSION_TRACK). */
export const SERVER_SESSION_STATE_CHANGED = 0x4000;

/** What session-state tracking reported in one OK packet. */
export interface SessionChanges {
  /** Tracked system variables (`session_track_system_variables`), name → value as text. */
  variables: Record<string, string>;
  /** The current database after `USE` / changeUser (`session_track_schema`). */
  schema?: string;
}

/** The parts of mysql2's internal Packet we read. */
interface Mysql2Packet {
  buffer: Buffer;
  offset: number;
  end?: number;
  peekByte(): number;
  isEOF(): boolean;
}

/** The parts of mysql2's internal Command we compare against. */
interface Mysql2Command {
  next: unknown;
  resultsetHeader?: unknown;
  row?: unknown;
  fieldsEOF?: unknown;
}

/** Skip a length-encoded integer at `pos`, returning the position after it. */
function skipLengthEncoded(buf: Buffer, pos: number): number {
  const first = buf[pos] ?? 0;
  if (first < 0xfb) return pos + 1;
  if (first === 0xfc) return pos + 3;
  if (first === 0xfd) return pos + 4;
  return pos + 9;
}

/** A length-encoded integer at `pos`: [value, position after it]. */
function readLengthEncoded(buf: Buffer, pos: number): [number, number] {
  const first = buf[pos] ?? 0;
  if (first < 0xfb) return [first, pos + 1];
  if (first === 0xfc) return [buf.readUInt16LE(pos + 1), pos + 3];
  if (first === 0xfd) return [buf.readUIntLE(pos + 1, 3), pos + 4];
  return [Number(buf.readBigUInt64LE(pos + 1)), pos + 9];
}

/** A length-encoded string at `pos`: [text, position after it]. */
function readLengthEncodedString(buf: Buffer, pos: number): [string, number] {
  const [len, start] = readLengthEncoded(buf, pos);
  return [buf.toString('utf8', start, start + len), start + len];
}

/** Status flags of an OK packet (0x00, affected rows, last insert id, status). */
function okStatus(packet: Mysql2Packet): number | undefined {
  const buf = packet.buffer;
  let pos = packet.offset + 1;
  pos = skipLengthEncoded(buf, pos);
  pos = skipLengthEncoded(buf, pos);
  return pos + 2 <= buf.length ? buf.readUInt16LE(pos) : undefined;
}

/**
 * Session-state tracking data of an OK packet whose status has SERVER_SESSION_STATE_CHANGED:
 * after status (2) and warnings (2) come the info string and the state-change block
 * (entries: type 0 = system variable name + value, type 1 = schema).
 */
export function okSessionChanges(buf: Buffer, offset: number, end = buf.length): SessionChanges | undefined {
  let pos = offset + 1;
  pos = skipLengthEncoded(buf, pos);
  pos = skipLengthEncoded(buf, pos);
  if (pos + 4 > end) return undefined;
  const status = buf.readUInt16LE(pos);
  if ((status & SERVER_SESSION_STATE_CHANGED) === 0) return undefined;
  pos += 4;
  [, pos] = readLengthEncodedString(buf, pos); // info
  if (pos >= end) return undefined;
  const [blockLen, blockStart] = readLengthEncoded(buf, pos);
  const blockEnd = Math.min(end, blockStart + blockLen);
  const changes: SessionChanges = { variables: {} };
  pos = blockStart;
  while (pos < blockEnd) {
    const type = buf[pos] ?? 0xff;
    const [len, dataStart] = readLengthEncoded(buf, pos + 1);
    if (type === 0) {
      const [name, next] = readLengthEncodedString(buf, dataStart);
      const [value] = readLengthEncodedString(buf, next);
      changes.variables[name] = value;
    } else if (type === 1) {
      [changes.schema] = readLengthEncodedString(buf, dataStart);
    }
    pos = dataStart + len;
  }
  return changes;
}

/** Status flags carried by `packet` if it is an OK / EOF packet ending a statement's response. */
export function statusOfPacket(
  command: Mysql2Command | null | undefined,
  packet: Mysql2Packet | null,
): number | undefined {
  if (packet === null || command === null || command === undefined) return undefined;
  const state = command.next;
  if (state === undefined || state === null) return undefined;
  if (state === command.resultsetHeader && packet.peekByte() === 0x00) return okStatus(packet);
  if ((state === command.row || state === command.fieldsEOF) && packet.isEOF()) {
    const pos = packet.offset + 3;
    return pos + 2 <= packet.buffer.length ? packet.buffer.readUInt16LE(pos) : undefined;
  }
  return undefined;
}

/**
 * Call `onStatus` with the status flags of every OK / EOF packet the connection receives, and
 * the session-state changes an OK packet carries (when the server tracks them).
 */
export function watchServerStatus(
  source: object,
  onStatus: (flags: number, changes: SessionChanges | undefined) => void,
): void {
  beforeEachPacket<Mysql2Packet>(source, (command, packet) => {
    let flags: number | undefined;
    let changes: SessionChanges | undefined;
    try {
      flags = statusOfPacket(command as Mysql2Command | undefined, packet);
      if (flags !== undefined && (flags & SERVER_SESSION_STATE_CHANGED) !== 0 && packet !== null) {
        if (packet.peekByte() === 0x00) changes = okSessionChanges(packet.buffer, packet.offset, packet.end);
      }
    } catch {
      flags = undefined; // observing must never break the driver
    }
    // Before the driver handles it: the user's callback must already see the new state.
    if (flags !== undefined) onStatus(flags, changes);
  });
}
