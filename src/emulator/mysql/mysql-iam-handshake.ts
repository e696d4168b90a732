/**
 * The MySQL protocol pieces the metadata proxy needs to enforce IAM logins: framing, the
 * server greeting's scramble and plugin, the client's HandshakeResponse41 (parsed and rebuilt
 * with another auth response), AuthSwitchRequest, ERR 1045 and mysql_native_password. Pure
 * functions over buffers; no sockets here.
 */
import { createHash } from 'node:crypto';

export const CLIENT_CONNECT_WITH_DB = 0x0000_0008;
export const CLIENT_PROTOCOL_41 = 0x0000_0200;
export const CLIENT_SECURE_CONNECTION = 0x0000_8000;
export const CLIENT_PLUGIN_AUTH = 0x0008_0000;
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x0020_0000;

export const NATIVE_PASSWORD = 'mysql_native_password';
export const CLEAR_PASSWORD = 'mysql_clear_password';

/** One complete packet at the start of `buf`: its sequence id, payload and total size (header included). */
export interface Packet {
  readonly seq: number;
  readonly payload: Buffer;
  readonly size: number;
}

/** The first complete packet of `buf`, or undefined while it is incomplete. */
export function readPacket(buf: Buffer): Packet | undefined {
  if (buf.length < 4) return undefined;
  const len = buf.readUIntLE(0, 3);
  if (buf.length < 4 + len) return undefined;
  return { seq: buf[3]!, payload: buf.subarray(4, 4 + len), size: 4 + len };
}

/** A packet with its 4-byte header (payloads here are far below 16 MB). */
export function framePacket(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq & 0xff;
  return Buffer.concat([header, payload]);
}

/** What the proxy keeps of the upstream server's greeting. */
export interface Greeting {
  /** The 20-byte nonce (auth-plugin-data parts 1 and 2). */
  readonly scramble: Buffer;
  /** The server's default auth plugin ('' when it names none). */
  readonly plugin: string;
}

/** Parses a protocol v10 greeting (header included); undefined when it is not one. */
export function parseGreeting(packet: Buffer): Greeting | undefined {
  if (packet.length < 5 || packet[4] !== 10) return undefined;
  const end = 4 + packet.readUIntLE(0, 3);
  const versionEnd = packet.indexOf(0, 5);
  if (versionEnd < 0 || versionEnd >= end) return undefined;
  let pos = versionEnd + 1 + 4; // thread id
  if (pos + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 > end) return undefined;
  const part1 = packet.subarray(pos, pos + 8);
  pos += 8 + 1 + 2 + 1 + 2 + 2; // part 1, filler, caps low, charset, status, caps high
  const dataLen = packet[pos]!;
  pos += 1 + 10; // auth-plugin-data length, reserved (MariaDB: filler + extended caps)
  const part2Len = Math.max(13, dataLen - 8);
  const part2 = packet.subarray(pos, Math.min(end, pos + part2Len));
  pos += part2Len;
  const scramble = Buffer.concat([part1, part2.subarray(0, 12)]);
  if (scramble.length < 20) return undefined;
  let plugin = '';
  if (pos < end) {
    const nul = packet.indexOf(0, pos);
    plugin = packet.toString('latin1', pos, nul < 0 || nul > end ? end : nul);
  }
  return { scramble, plugin };
}

/** A client's HandshakeResponse41, split where the proxy changes it. */
export interface HandshakeResponse {
  readonly capabilities: number;
  readonly user: string;
  readonly authResponse: Buffer;
  /** The default schema when CLIENT_CONNECT_WITH_DB is set. */
  readonly database: Buffer | undefined;
  /** The client's auth plugin when CLIENT_PLUGIN_AUTH is set. */
  readonly plugin: string | undefined;
  /** Bytes 0..32 (capabilities, max packet size, charset, filler with MariaDB's extended caps), as sent. */
  readonly fixed: Buffer;
  /** Everything after the plugin name (connection attributes), as sent. */
  readonly rest: Buffer;
}

function cString(buf: Buffer, pos: number): { value: Buffer; next: number } | undefined {
  const nul = buf.indexOf(0, pos);
  if (nul < 0) return undefined;
  return { value: buf.subarray(pos, nul), next: nul + 1 };
}

function readLenenc(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  const first = buf[pos];
  if (first === undefined) return undefined;
  if (first < 0xfb) return { value: first, next: pos + 1 };
  const width = first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : 0;
  if (width === 0 || pos + 1 + width > buf.length) return undefined;
  const value = width === 8 ? Number(buf.readBigUInt64LE(pos + 1)) : buf.readUIntLE(pos + 1, width);
  return { value, next: pos + 1 + width };
}

function lenenc(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x1_0000) {
    const b = Buffer.alloc(3);
    b[0] = 0xfc;
    b.writeUInt16LE(n, 1);
    return b;
  }
  const b = Buffer.alloc(4);
  b[0] = 0xfd;
  b.writeUIntLE(n, 1, 3);
  return b;
}

/**
 * Parses a HandshakeResponse41 payload; undefined for anything else (an SSL request, the
 * pre-4.1 protocol, a truncated packet): the proxy then passes the packet on untouched.
 */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse | undefined {
  if (payload.length < 33) return undefined;
  const capabilities = payload.readUInt32LE(0);
  if ((capabilities & CLIENT_PROTOCOL_41) === 0) return undefined;
  const user = cString(payload, 32);
  if (!user) return undefined;
  let pos = user.next;
  let authResponse: Buffer;
  if (capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    const len = readLenenc(payload, pos);
    if (!len || len.next + len.value > payload.length) return undefined;
    authResponse = payload.subarray(len.next, len.next + len.value);
    pos = len.next + len.value;
  } else if (capabilities & CLIENT_SECURE_CONNECTION) {
    const len = payload[pos];
    if (len === undefined || pos + 1 + len > payload.length) return undefined;
    authResponse = payload.subarray(pos + 1, pos + 1 + len);
    pos += 1 + len;
  } else {
    const auth = cString(payload, pos);
    if (!auth) return undefined;
    authResponse = auth.value;
    pos = auth.next;
  }
  let database: Buffer | undefined;
  if (capabilities & CLIENT_CONNECT_WITH_DB && pos < payload.length) {
    const db = cString(payload, pos);
    if (!db) return undefined;
    database = db.value;
    pos = db.next;
  }
  let plugin: string | undefined;
  if (capabilities & CLIENT_PLUGIN_AUTH && pos < payload.length) {
    const name = cString(payload, pos);
    if (!name) return undefined;
    plugin = name.value.toString('latin1');
    pos = name.next;
  }
  return {
    capabilities,
    user: user.value.toString('utf8'),
    authResponse,
    database,
    plugin,
    fixed: payload.subarray(0, 32),
    rest: payload.subarray(pos),
  };
}

/** The same HandshakeResponse41 with another auth response and plugin (capabilities, schema and attributes unchanged). */
export function buildHandshakeResponse(hs: HandshakeResponse, authResponse: Buffer, plugin: string): Buffer {
  let auth: Buffer;
  if (hs.capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    auth = Buffer.concat([lenenc(authResponse.length), authResponse]);
  } else if (hs.capabilities & CLIENT_SECURE_CONNECTION) {
    auth = Buffer.concat([Buffer.from([authResponse.length]), authResponse]);
  } else {
    auth = Buffer.concat([authResponse, Buffer.alloc(1)]);
  }
  const nul = Buffer.alloc(1);
  return Buffer.concat([
    hs.fixed,
    Buffer.from(hs.user, 'utf8'),
    nul,
    auth,
    ...(hs.database !== undefined ? [hs.database, nul] : []),
    ...(hs.plugin !== undefined ? [Buffer.from(plugin, 'latin1'), nul] : []),
    hs.rest,
  ]);
}

/** mysql_native_password: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))); empty for ''. */
export function nativePasswordResponse(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const sha1 = (...parts: Buffer[]): Buffer => {
    const h = createHash('sha1');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const stage2 = sha1(stage1);
  const mix = sha1(scramble.subarray(0, 20), stage2);
  for (let i = 0; i < mix.length; i++) mix[i] = mix[i]! ^ stage1[i]!;
  return mix;
}

/** AuthSwitchRequest payload: 0xFE, the plugin name, its data (MySQL sends the scramble, NUL-terminated). */
export function authSwitchRequest(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${plugin}\0`, 'latin1'), data, Buffer.alloc(1)]);
}

/** An AuthSwitchRequest from the server: the plugin and its data (trailing NUL removed). */
export function parseAuthSwitch(payload: Buffer): { plugin: string; data: Buffer } | undefined {
  if (payload[0] !== 0xfe || payload.length < 2) return undefined;
  const name = cString(payload, 1);
  if (!name) return { plugin: payload.toString('latin1', 1), data: Buffer.alloc(0) };
  let data = payload.subarray(name.next);
  if (data.length > 0 && data[data.length - 1] === 0) data = data.subarray(0, -1);
  return { plugin: name.value.toString('latin1'), data };
}

export const ER_ACCESS_DENIED_ERROR = 1045;

/** ERR packet payload with MySQL's access-denied text (never the token). */
export function accessDenied(user: string, host: string): Buffer {
  const message = Buffer.from(`Access denied for user '${user}'@'${host}' (using password: YES)`, 'utf8');
  const head = Buffer.alloc(3);
  head[0] = 0xff;
  head.writeUInt16LE(ER_ACCESS_DENIED_ERROR, 1);
  return Buffer.concat([head, Buffer.from('#28000', 'latin1'), message]);
}

/** The token a client sent with mysql_clear_password (NUL-terminated on the wire). */
export function clearPasswordToken(payload: Buffer): string {
  const end = payload.length > 0 && payload[payload.length - 1] === 0 ? payload.length - 1 : payload.length;
  return payload.toString('utf8', 0, end);
}
