/**
 * A small MySQL-protocol-aware TCP proxy in front of one mariadbd. It streams every byte
 * unchanged except:
 *   - the server greeting: CLIENT_COMPRESS is cleared, so the stream stays plain MySQL packets
 *     we can frame; CLIENT_SSL too, unless the cluster serves TLS: then the proxy terminates
 *     TLS itself (it must read the queries to rewrite them). A client's SSL request is passed
 *     on to mariadbd, the client's TLS handshake is answered here with the instance's
 *     certificate, and the leg to mariadbd is a TLS session of its own (trusting the cluster's
 *     CA); packets then flow decrypted through the proxy with their sequence ids unchanged.
 *     A client that does not ask for TLS is passed through as is, and mariadbd
 *     (require_secure_transport) refuses it;
 *   - client COM_QUERY (0x03) and COM_STMT_PREPARE (0x16) packets, whose SQL goes through
 *     `rewrite` and is re-framed with the new length;
 *   - with `iam`, the login of the IAM user: over TLS it is switched to mysql_clear_password,
 *     the token verified and the upstream login made with the real password
 *     (mysql-iam-session.ts); without TLS it is refused with ERR 1045, like RDS.
 * Commands are recognised without following the server side: in the MySQL protocol only a
 * command starts a client packet with sequence id 0 (authentication and continuation packets
 * have sequence ids ≥ 1), so scanning costs one header check per client packet.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  accessDenied,
  framePacket,
  parseGreeting,
  parseHandshakeResponse,
  readPacket,
  type Greeting,
} from './mysql-iam-handshake.js';
import type { MysqlIamLogin } from './mysql-iam-login.js';
import { IamLoginSession } from './mysql-iam-session.js';

export type SqlRewrite = (sql: string) => string | undefined;

export interface MetadataProxyOptions {
  /** Where clients connect (the BackendInstance address and port). */
  readonly listenAddress: string;
  readonly listenPort: number;
  /** Where mariadbd listens. */
  readonly upstreamAddress: string;
  readonly upstreamPort: number;
  /** SQL rewriting; undefined = pure pass-through. */
  readonly rewrite: SqlRewrite | undefined;
  /** Terminate TLS with these certificate files (the cluster serves TLS); undefined = plain. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string } | undefined;
  /**
   * IAM logins for one user: over TLS only, switched to mysql_clear_password, the token verified
   * here and the upstream login made with the real password. undefined = no IAM user.
   */
  readonly iam?: MysqlIamLogin | undefined;
}

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const MAX_PAYLOAD = 0xffffff;
const CLIENT_COMPRESS = 0x0020;
const CLIENT_SSL = 0x0800;

/**
 * Clears the compression capability (and SSL, unless `keepSsl`) in a complete greeting packet
 * (header included), in place.
 */
export function stripGreetingCapabilities(packet: Buffer, keepSsl = false): void {
  if (packet.length < 5 || packet[4] !== 10) return; // protocol v10 only; an ERR packet passes untouched
  const versionEnd = packet.indexOf(0, 5);
  if (versionEnd < 0) return;
  const capsAt = versionEnd + 1 + 4 + 8 + 1;
  if (capsAt + 2 > packet.length) return;
  const caps = packet.readUInt16LE(capsAt) & ~((keepSsl ? 0 : CLIENT_SSL) | CLIENT_COMPRESS);
  packet.writeUInt16LE(caps, capsAt);
}

/** Frames the client→server byte stream and rewrites command packets. */
export class ClientPacketRewriter {
  private pending: Buffer | undefined;
  /** Bytes of the current pass-through packet still to forward. */
  private skip = 0;

  constructor(private readonly rewrite: SqlRewrite) {}

  /** Returns the buffers to send upstream for this chunk (possibly none yet). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const out: Buffer[] = [];
    let passFrom = 0; // start of bytes that pass through unchanged
    let pos = 0;
    while (pos < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (buf.length - pos < 4) break;
      const len = buf.readUIntLE(pos, 3);
      const seq = buf[pos + 3];
      if (len === 0 || seq !== 0 || len === MAX_PAYLOAD) {
        this.skip = 4 + len;
        continue;
      }
      if (buf.length - pos < 5) break;
      const cmd = buf[pos + 4];
      if (cmd !== COM_QUERY && cmd !== COM_STMT_PREPARE) {
        this.skip = 4 + len;
        continue;
      }
      if (buf.length - pos < 4 + len) break; // wait for the whole command
      const sql = buf.toString('latin1', pos + 5, pos + 4 + len);
      const rewritten = this.rewrite(sql);
      if (rewritten !== undefined) {
        const body = Buffer.from(rewritten, 'latin1');
        if (body.length + 1 < MAX_PAYLOAD) {
          if (pos > passFrom) out.push(buf.subarray(passFrom, pos));
          const header = Buffer.alloc(5);
          header.writeUIntLE(body.length + 1, 0, 3);
          header[3] = 0;
          header[4] = cmd;
          out.push(header, body);
          pos += 4 + len;
          passFrom = pos;
          continue;
        }
      }
      pos += 4 + len;
    }
    if (pos < buf.length) {
      // an incomplete header or command: keep it for the next chunk
      if (pos > passFrom) out.push(buf.subarray(passFrom, pos));
      this.pending = Buffer.from(buf.subarray(pos));
    } else if (pos > passFrom) {
      out.push(passFrom === 0 ? buf : buf.subarray(passFrom, pos));
    }
    return out;
  }
}

/** The client's address as the engine would name it in an access-denied message. */
function hostOf(socket: net.Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** True when `packet` (header included, complete) is a client's SSL request (sequence 1, 32 bytes, CLIENT_SSL). */
export function isSslRequest(packet: Buffer): boolean {
  return (
    packet.length >= 4 + 32 &&
    packet.readUIntLE(0, 3) === 32 &&
    packet[3] === 1 &&
    (packet.readUInt32LE(4) & CLIENT_SSL) !== 0
  );
}

/**
 * A duplex over a raw socket, fed by us: bytes already read from the socket (the start of a
 * TLS ClientHello that arrived with the SSL request) are pushed first, so a TLS server socket
 * built on it sees the whole handshake.
 */
function socketDuplex(socket: net.Socket, alreadyRead: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, (err) => callback(err ?? null));
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  if (alreadyRead.length > 0) duplex.push(alreadyRead);
  return duplex;
}

interface TlsMaterial {
  context: tls.SecureContext;
  ca: string;
}

export class MetadataProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private tlsMaterial: TlsMaterial | undefined;

  constructor(private readonly options: MetadataProxyOptions) {}

  /** Read the certificate files again: new sessions get the certificate they now hold. */
  async reloadTls(): Promise<void> {
    const files = this.options.tls;
    if (!files) return;
    const [cert, key, ca] = await Promise.all([
      readFile(files.certFile, 'utf8'),
      readFile(files.keyFile, 'utf8'),
      readFile(files.caFile, 'utf8'),
    ]);
    this.tlsMaterial = { context: tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' }), ca };
  }

  /** Start listening (again). */
  async listen(): Promise<void> {
    if (this.server) return;
    if (this.options.tls && !this.tlsMaterial) await this.reloadTls();
    const server = net.createServer({ noDelay: true }, (client) => this.accept(client));
    server.on('error', () => {
      // listen errors are reported by the promise below; later ones are not actionable
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listenPort, this.options.listenAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Stop listening and reset every proxied connection (like a crashed server). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({
      host: this.options.upstreamAddress,
      port: this.options.upstreamPort,
      noDelay: true,
    });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = (): void => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', () => {
      drop();
      upstream.destroy();
    });
    upstream.on('close', () => {
      drop();
      client.end();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => {
      if (!client.destroyed) client.resetAndDestroy();
    });

    // server → client: patch the greeting, then stream
    const material = this.tlsMaterial;
    let greeting: Buffer | undefined = Buffer.alloc(0);
    let upstreamGreeting: Greeting | undefined;
    const fromServer = (chunk: Buffer): void => {
      let data = chunk;
      if (greeting) {
        const buf: Buffer = Buffer.concat([greeting, chunk]);
        if (buf.length < 4 || buf.length < 4 + buf.readUIntLE(0, 3)) {
          greeting = buf;
          return;
        }
        greeting = undefined;
        stripGreetingCapabilities(buf, material !== undefined);
        upstreamGreeting = parseGreeting(buf);
        data = buf;
      }
      if (!client.write(data)) upstream.pause();
    };
    upstream.on('data', fromServer);
    client.on('drain', () => upstream.resume());
    const iam = this.options.iam;
    if (!material && !iam) {
      this.relayCommands(client, upstream);
      return;
    }

    // The client's first packet says whether it asks for TLS (and, if not, who logs in)
    let first = Buffer.alloc(0);
    const firstPacket = (chunk: Buffer): void => {
      first = Buffer.concat([first, chunk]);
      const packet = readPacket(first);
      if (!packet) return;
      client.off('data', firstPacket);
      if (!material || !isSslRequest(first)) {
        // a plain login: mariadbd refuses it when the cluster is TLS-only
        // (require_secure_transport); the IAM user is refused here, IAM needs TLS
        const login = iam ? parseHandshakeResponse(packet.payload) : undefined;
        if (iam && login?.user === iam.user) {
          const denied = framePacket(packet.seq + 1, accessDenied(login.user, hostOf(client)));
          client.end(denied, () => upstream.destroy());
          return;
        }
        this.relayCommands(client, upstream, undefined, first);
        return;
      }
      upstream.off('data', fromServer);
      upstream.write(first.subarray(0, packet.size));
      client.pause();
      this.terminateTls(client, upstream, first.subarray(packet.size), material, () => upstreamGreeting);
    };
    client.on('data', firstPacket);
  }

  /** Both legs become TLS sessions; decrypted packets are relayed (and rewritten) between them. */
  private terminateTls(
    client: net.Socket,
    upstream: net.Socket,
    alreadyRead: Buffer,
    material: TlsMaterial,
    greeting: () => Greeting | undefined,
  ): void {
    const clientTls = new tls.TLSSocket(socketDuplex(client, alreadyRead), {
      isServer: true,
      secureContext: material.context,
    });
    // The leg to mariadbd: the chain is checked against the cluster's CA; the name is not
    // (it is a loopback address).
    const upstreamTls = tls.connect({
      socket: upstream,
      ca: material.ca,
      checkServerIdentity: () => undefined,
      minVersion: 'TLSv1.2',
    });
    const fail = (): void => {
      if (!client.destroyed) client.resetAndDestroy();
      upstream.destroy();
    };
    clientTls.on('error', fail);
    upstreamTls.on('error', fail);
    clientTls.on('close', () => upstreamTls.destroy());
    upstreamTls.on('close', () => clientTls.end());
    const toClient = (chunk: Buffer): void => {
      if (!clientTls.write(chunk)) upstreamTls.pause();
    };
    /** Set while an IAM login runs: the upstream's packets go to it instead of the client. */
    let intercept: ((chunk: Buffer) => void) | undefined;
    upstreamTls.on('data', (chunk: Buffer) => (intercept ?? toClient)(chunk));
    clientTls.on('drain', () => upstreamTls.resume());
    // Writes wait for the leg to mariadbd to be established.
    const queued: Buffer[] = [];
    let upstreamReady = false;
    upstreamTls.once('secureConnect', () => {
      upstreamReady = true;
      for (const piece of queued.splice(0)) upstreamTls.write(piece);
    });
    const write = (piece: Buffer): boolean => {
      if (upstreamReady) return upstreamTls.write(piece);
      queued.push(piece);
      return true;
    };
    const iam = this.options.iam;
    if (!iam) {
      this.relayCommands(clientTls, upstreamTls, write);
      return;
    }

    // The HandshakeResponse says who logs in: the IAM user's login is ours, any other passes on.
    let first = Buffer.alloc(0);
    const onLogin = (chunk: Buffer): void => {
      first = Buffer.concat([first, chunk]);
      const packet = readPacket(first);
      if (!packet) return;
      clientTls.off('data', onLogin);
      const login = parseHandshakeResponse(packet.payload);
      if (login?.user !== iam.user) {
        this.relayCommands(clientTls, upstreamTls, write, first);
        return;
      }
      const onToken = (bytes: Buffer): void => session.fromClient(bytes);
      const session = new IamLoginSession({
        iam,
        port: this.options.listenPort,
        greeting: greeting(),
        login,
        loginSeq: packet.seq,
        clientHost: hostOf(client),
        io: {
          toClient,
          toUpstream: (bytes) => void write(bytes),
          refuse: (last) => {
            intercept = undefined;
            clientTls.off('data', onToken);
            clientTls.end(last, () => upstreamTls.destroy());
          },
          loggedIn: (fromUpstream, fromClient) => {
            intercept = undefined;
            clientTls.off('data', onToken);
            if (fromUpstream.length > 0) toClient(fromUpstream);
            this.relayCommands(clientTls, upstreamTls, write, fromClient);
          },
        },
      });
      intercept = (bytes) => session.fromUpstream(bytes);
      clientTls.on('data', onToken);
      session.start();
      const extra = first.subarray(packet.size);
      if (extra.length > 0) session.fromClient(extra);
    };
    clientTls.on('data', onLogin);
  }

  /** client → server: commands rewritten when asked to, back-pressure both ways. */
  private relayCommands(
    from: Duplex,
    to: Duplex,
    write: (piece: Buffer) => boolean = (piece) => to.write(piece),
    alreadyRead?: Buffer,
  ): void {
    const rewrite = this.options.rewrite;
    const framer = rewrite ? new ClientPacketRewriter(rewrite) : undefined;
    const relay = (chunk: Buffer): void => {
      let ok = true;
      if (framer) {
        for (const piece of framer.push(chunk)) ok = write(piece) && ok;
      } else {
        ok = write(chunk);
      }
      if (!ok) from.pause();
    };
    from.on('data', relay);
    to.on('drain', () => from.resume());
    if (alreadyRead && alreadyRead.length > 0) relay(alreadyRead);
  }
}
