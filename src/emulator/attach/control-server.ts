/**
 * One emulated cluster's control endpoint (`cluster.controlEndpoint`): a TCP server on
 * 127.0.0.1 that pushes the cluster's name table (protocol.ts) to every attached process
 * when it connects and whenever the table changes, so that process resolves the cluster's
 * names with the same lag as this one, and runs the fault operations they call (`call`
 * lines, answered by `reply` lines). Unref'd (it never holds the emulator's process open);
 * close() ends every connection and the listener.
 */
import net from 'node:net';
import { AuroraHaError } from '../../core/errors.js';
import {
  decodeCall,
  encodeLine,
  encodeTable,
  MAX_LINE_BYTES,
  type CallMessage,
  type ControlOp,
  type NameTable,
} from './protocol.js';

/** Runs one operation called by an attached process (the cluster's own method). */
export type ControlDispatch = (op: ControlOp, args: readonly unknown[]) => Promise<unknown>;

export class ControlServer {
  private readonly sockets = new Set<net.Socket>();
  private last: string | undefined;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly table: () => NameTable,
    private readonly dispatch: ControlDispatch,
    /** `127.0.0.1:port`, the value of AURORA_HA_EMULATOR. */
    readonly endpoint: string,
  ) {}

  /** Listen on an ephemeral loopback port; `table` is read on each connection and each change. */
  static async start(table: () => NameTable, dispatch: ControlDispatch): Promise<ControlServer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    const { port } = server.address() as net.AddressInfo;
    const control = new ControlServer(server, table, dispatch, `127.0.0.1:${port}`);
    server.on('connection', (socket) => control.accept(socket));
    // A failing accept does not take the emulator down; the client reconnects.
    server.on('error', () => undefined);
    return control;
  }

  /** The table may have changed: send it to every attached process when it did. */
  changed(): void {
    if (this.closed) return;
    const line = encodeTable(this.table());
    if (line === this.last) return;
    this.last = line;
    for (const socket of this.sockets) socket.write(line);
  }

  /** Every attached process sees its connection end (its names then answer ENOTFOUND). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.unref();
    socket.setNoDelay(true);
    // The others first get any change not announced yet; then everyone holds the same table.
    this.changed();
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const call = decodeCall(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (call) void this.run(socket, call);
      }
      if (buffered.length > MAX_LINE_BYTES) socket.destroy();
    });
    socket.write(this.last ?? encodeTable(this.table()));
  }

  /** One call; its reply goes back on the caller's connection if it is still open. */
  private async run(socket: net.Socket, call: CallMessage): Promise<void> {
    let reply: string;
    try {
      const value = await this.dispatch(call.op, call.args);
      reply = encodeLine({ type: 'reply', id: call.id, ok: true, value: value ?? null });
    } catch (err) {
      const code = err instanceof AuroraHaError ? err.code : 'EMULATOR_CONTROL';
      const message = err instanceof Error ? err.message : String(err);
      reply = encodeLine({ type: 'reply', id: call.id, ok: false, code, message });
    }
    if (!socket.destroyed) socket.write(reply);
  }
}
