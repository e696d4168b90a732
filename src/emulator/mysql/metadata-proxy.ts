/**
 * A small MySQL-protocol-aware TCP proxy in front of one mariadbd. It streams every byte
 * unchanged except:
 *   - the server greeting: CLIENT_SSL and CLIENT_COMPRESS are cleared, so the stream stays
 *     plain MySQL packets we can frame;
 *   - client COM_QUERY (0x03) and COM_STMT_PREPARE (0x16) packets, whose SQL goes through
 *     `rewrite` and is re-framed with the new length.
 * Commands are recognised without following the server side: in the MySQL protocol only a
 * command starts a client packet with sequence id 0 (authentication and continuation packets
 * have sequence ids ≥ 1), so scanning costs one header check per client packet.
 */
import net from 'node:net';

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
}

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const MAX_PAYLOAD = 0xffffff;
const CLIENT_COMPRESS = 0x0020;
const CLIENT_SSL = 0x0800;

/** Clears SSL/compression capabilities in a complete greeting packet (header included), in place. */
export function stripGreetingCapabilities(packet: Buffer): void {
  if (packet.length < 5 || packet[4] !== 10) return; // protocol v10 only; an ERR packet passes untouched
  const versionEnd = packet.indexOf(0, 5);
  if (versionEnd < 0) return;
  const capsAt = versionEnd + 1 + 4 + 8 + 1;
  if (capsAt + 2 > packet.length) return;
  const caps = packet.readUInt16LE(capsAt) & ~(CLIENT_SSL | CLIENT_COMPRESS);
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

export class MetadataProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: MetadataProxyOptions) {}

  /** Start listening (again). */
  async listen(): Promise<void> {
    if (this.server) return;
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
    let greeting: Buffer | undefined = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (greeting) {
        const buf: Buffer = Buffer.concat([greeting, chunk]);
        if (buf.length < 4 || buf.length < 4 + buf.readUIntLE(0, 3)) {
          greeting = buf;
          return;
        }
        greeting = undefined;
        stripGreetingCapabilities(buf);
        data = buf;
      }
      if (!client.write(data)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());

    // client → server: rewrite commands when asked to
    const rewrite = this.options.rewrite;
    const framer = rewrite ? new ClientPacketRewriter(rewrite) : undefined;
    client.on('data', (chunk: Buffer) => {
      let ok = true;
      if (framer) {
        for (const piece of framer.push(chunk)) ok = upstream.write(piece) && ok;
      } else {
        ok = upstream.write(chunk);
      }
      if (!ok) client.pause();
    });
    upstream.on('drain', () => client.resume());
  }
}
