/**
 * A minimal LDAP v3 server on node:net that answers simple binds only, so that PostgreSQL's
 * `ldap` authentication (simple-bind mode: `ldapprefix` / `ldapsuffix`) hands the emulator
 * the user's DN and password to check. It speaks just enough BER: LDAPMessage with a
 * BindRequest (version 3, simple authentication) → BindResponse `success` (0) or
 * `invalidCredentials` (49); UnbindRequest → close; anything else (another operation, SASL,
 * another version, malformed or oversized BER) → `protocolError` (2) and close. Every socket
 * has an idle timeout and is destroyed by close(). Passwords are never logged or kept.
 */
import net from 'node:net';

/** Decides one simple bind: `dn` as PostgreSQL built it (prefix + user + suffix), `password` as sent. Never throws. */
export type LdapBindCheck = (dn: string, password: string) => boolean;

export interface LdapResponderOptions {
  /** Loopback address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  readonly verify: LdapBindCheck;
  /** Largest LDAPMessage accepted (bytes, header included). Default 64 KiB (tokens are ~2 KB). */
  readonly maxMessageBytes?: number;
  /** A socket idle this long is closed. Default 10 s. */
  readonly idleTimeoutMs?: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;
const BIND_REQUEST = 0x60; // [APPLICATION 0] constructed
const BIND_RESPONSE = 0x61; // [APPLICATION 1] constructed
const UNBIND_REQUEST = 0x42; // [APPLICATION 2] primitive (NULL)
const EXTENDED_RESPONSE = 0x78; // [APPLICATION 24] constructed
const SIMPLE_AUTH = 0x80; // [0] primitive
const RESPONSE_NAME = 0x8a; // [10] primitive
/** RFC 4511 §4.4.1, Notice of Disconnection. */
const NOTICE_OF_DISCONNECTION = '1.3.6.1.4.1.1466.20036';

export const LDAP_SUCCESS = 0;
export const LDAP_PROTOCOL_ERROR = 2;
export const LDAP_INVALID_CREDENTIALS = 49;

class BerError extends Error {}

/** One TLV read from a buffer. */
interface Tlv {
  readonly tag: number;
  readonly start: number; // first byte of the value
  readonly end: number; // one past the value's last byte
}

/**
 * Header of the TLV at `pos`: undefined when more bytes are needed, BerError when it can never
 * be valid (indefinite length, or a length field over 4 bytes).
 */
function readHeader(buf: Buffer, pos: number): { tag: number; start: number; length: number } | undefined {
  if (buf.length - pos < 2) return undefined;
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not LDAP');
  const first = buf[pos + 1] as number;
  if (first < 0x80) return { tag, start: pos + 2, length: first };
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new BerError('unsupported length form');
  if (buf.length - pos < 2 + n) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (buf[pos + 2 + i] as number);
  return { tag, start: pos + 2 + n, length };
}

/** The TLV at `pos`, wholly inside [pos, limit); BerError otherwise. */
function readTlv(buf: Buffer, pos: number, limit: number): Tlv {
  const h = readHeader(buf.subarray(0, limit), pos);
  if (!h || h.start + h.length > limit) throw new BerError('truncated element');
  return { tag: h.tag, start: h.start, end: h.start + h.length };
}

function readInteger(buf: Buffer, tlv: Tlv): number {
  const len = tlv.end - tlv.start;
  if (tlv.tag !== INTEGER || len < 1 || len > 4) throw new BerError('bad INTEGER');
  let value = (buf[tlv.start] as number) & 0x80 ? -1 : 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + (buf[i] as number);
  return value;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

function encodeInteger(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** An LDAPResult-shaped response (BindResponse or ExtendedResponse) in its LDAPMessage. */
function response(
  messageId: number,
  op: number,
  resultCode: number,
  message: string,
  extra?: Buffer,
): Buffer {
  const result = Buffer.concat([
    tlv(ENUMERATED, encodeInteger(resultCode)),
    tlv(OCTET_STRING, Buffer.alloc(0)),
    tlv(OCTET_STRING, Buffer.from(message, 'utf8')),
    ...(extra ? [extra] : []),
  ]);
  return tlv(SEQUENCE, Buffer.concat([tlv(INTEGER, encodeInteger(messageId)), tlv(op, result)]));
}

function noticeOfDisconnection(message: string): Buffer {
  return response(
    0,
    EXTENDED_RESPONSE,
    LDAP_PROTOCOL_ERROR,
    message,
    tlv(RESPONSE_NAME, Buffer.from(NOTICE_OF_DISCONNECTION, 'latin1')),
  );
}

/** What one complete LDAPMessage asks for. */
type Request =
  | { readonly kind: 'bind'; readonly messageId: number; readonly dn: string; readonly password: string }
  | { readonly kind: 'bad-bind'; readonly messageId: number; readonly why: string }
  | { readonly kind: 'unbind' }
  | { readonly kind: 'other'; readonly messageId: number };

/** Parse the LDAPMessage occupying [start, end) of `buf`; BerError when malformed. */
export function parseLdapMessage(buf: Buffer, start: number, end: number): Request {
  const messageIdTlv = readTlv(buf, start, end);
  const messageId = readInteger(buf, messageIdTlv);
  if (messageId < 0) throw new BerError('negative messageID');
  const op = readTlv(buf, messageIdTlv.end, end);
  // controls ([0]) may follow the operation; they are ignored
  if (op.tag === UNBIND_REQUEST) return { kind: 'unbind' };
  if (op.tag !== BIND_REQUEST) return { kind: 'other', messageId };
  const versionTlv = readTlv(buf, op.start, op.end);
  const version = readInteger(buf, versionTlv);
  const nameTlv = readTlv(buf, versionTlv.end, op.end);
  if (nameTlv.tag !== OCTET_STRING) throw new BerError('bad bind name');
  const auth = readTlv(buf, nameTlv.end, op.end);
  if (version !== 3) return { kind: 'bad-bind', messageId, why: `LDAP version ${version} is not supported` };
  if (auth.tag !== SIMPLE_AUTH)
    return { kind: 'bad-bind', messageId, why: 'only simple authentication is supported' };
  return {
    kind: 'bind',
    messageId,
    dn: buf.toString('utf8', nameTlv.start, nameTlv.end),
    password: buf.toString('utf8', auth.start, auth.end),
  };
}

export class LdapResponder {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private closing: Promise<void> | undefined;
  private listening: net.AddressInfo | undefined;

  private constructor(options: LdapResponderOptions) {
    const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.server = net.createServer((socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      serve(socket, options.verify, maxMessageBytes, idleTimeoutMs);
    });
    this.server.unref();
  }

  /** Listen on an ephemeral port of `options.host`; resolves once listening. */
  static async start(options: LdapResponderOptions): Promise<LdapResponder> {
    const responder = new LdapResponder(options);
    const server = responder.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host ?? '127.0.0.1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    responder.listening = server.address() as net.AddressInfo;
    return responder;
  }

  get host(): string {
    return this.listening?.address ?? '127.0.0.1';
  }

  get port(): number {
    return this.listening?.port ?? 0;
  }

  /** Open connections (for tests). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stop listening and destroy every open socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
    return this.closing;
  }
}

function serve(
  socket: net.Socket,
  verify: LdapBindCheck,
  maxMessageBytes: number,
  idleTimeoutMs: number,
): void {
  socket.setNoDelay(true);
  socket.setTimeout(idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => undefined);
  let pending: Buffer = Buffer.alloc(0);
  let done = false;
  const fail = (message: string): void => {
    done = true;
    socket.end(noticeOfDisconnection(message));
  };
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    try {
      for (;;) {
        const h = readHeader(pending, 0);
        if (!h) {
          if (pending.length > 8) throw new BerError('bad header');
          return;
        }
        if (h.tag !== SEQUENCE) throw new BerError('not an LDAPMessage');
        if (h.start + h.length > maxMessageBytes) {
          fail(`message over ${maxMessageBytes} bytes`);
          return;
        }
        if (pending.length < h.start + h.length) return;
        const end = h.start + h.length;
        const request = parseLdapMessage(pending, h.start, end);
        pending = pending.subarray(end);
        switch (request.kind) {
          case 'unbind':
            done = true;
            socket.end();
            return;
          case 'other':
            fail('only simple bind and unbind are supported');
            return;
          case 'bad-bind':
            done = true;
            socket.end(response(request.messageId, BIND_RESPONSE, LDAP_PROTOCOL_ERROR, request.why));
            return;
          case 'bind': {
            let ok = false;
            try {
              ok = verify(request.dn, request.password);
            } catch {
              ok = false;
            }
            socket.write(
              ok
                ? response(request.messageId, BIND_RESPONSE, LDAP_SUCCESS, '')
                : response(request.messageId, BIND_RESPONSE, LDAP_INVALID_CREDENTIALS, 'invalid credentials'),
            );
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof BerError) fail(`malformed request: ${err.message}`);
      else throw err;
    }
  });
}
