/**
 * Reads the server-status flags (SERVER_STATUS_IN_TRANS and friends) of the OK and EOF
 * packets mysql2 receives, without parsing SQL. mysql2 reads those flags but does not keep
 * them on the connection, so we observe packets on their way into the connection's
 * `handlePacket`, using the command's protocol state to tell an OK / EOF packet from a
 * row that happens to start with the same byte.
 */

export const SERVER_STATUS_IN_TRANS = 0x0001;

/** The parts of mysql2's internal Packet we read. */
interface Mysql2Packet {
  buffer: Buffer;
  offset: number;
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

/** The parts of mysql2's internal Connection we hook. */
export interface Mysql2PacketSource {
  _command?: Mysql2Command | null;
  handlePacket(packet: Mysql2Packet | null): void;
}

/** Skip a length-encoded integer at `pos`, returning the position after it. */
function skipLengthEncoded(buf: Buffer, pos: number): number {
  const first = buf[pos] ?? 0;
  if (first < 0xfb) return pos + 1;
  if (first === 0xfc) return pos + 3;
  if (first === 0xfd) return pos + 4;
  return pos + 9;
}

/** Status flags of an OK packet (0x00, affected rows, last insert id, status). */
function okStatus(packet: Mysql2Packet): number | undefined {
  const buf = packet.buffer;
  let pos = packet.offset + 1;
  pos = skipLengthEncoded(buf, pos);
  pos = skipLengthEncoded(buf, pos);
  return pos + 2 <= buf.length ? buf.readUInt16LE(pos) : undefined;
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

/** Call `onStatus` with the status flags of every OK / EOF packet the connection receives. */
export function watchServerStatus(source: Mysql2PacketSource, onStatus: (flags: number) => void): void {
  const original = source.handlePacket.bind(source);
  source.handlePacket = (packet) => {
    let flags: number | undefined;
    try {
      flags = statusOfPacket(source._command, packet);
    } catch {
      flags = undefined; // observing must never break the driver
    }
    // Before the driver handles it: the user's callback must already see the new state.
    if (flags !== undefined) onStatus(flags);
    original(packet);
  };
}
