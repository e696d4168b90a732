/**
 * One emulated cluster's control endpoint (`cluster.controlEndpoint`): a TCP server on
 * 127.0.0.1 that pushes the cluster's name table (protocol.ts) to every attached process
 * when it connects and whenever the table changes, so that process resolves the cluster's
 * names with the same lag as this one. Unref'd (it never holds the emulator's process
 * open); close() ends every connection and the listener.
 */
import net from 'node:net';
import { encodeTable, type NameTable } from './protocol.js';

export class ControlServer {
  private readonly sockets = new Set<net.Socket>();
  private last: string | undefined;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly table: () => NameTable,
    /** `127.0.0.1:port`, the value of AURORA_HA_EMULATOR. */
    readonly endpoint: string,
  ) {}

  /** Listen on an ephemeral loopback port; `table` is read on each connection and each change. */
  static async start(table: () => NameTable): Promise<ControlServer> {
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
    const control = new ControlServer(server, table, `127.0.0.1:${port}`);
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
    // Nothing is read from attached processes: input is drained and dropped.
    socket.on('data', () => undefined);
    socket.write(this.last ?? encodeTable(this.table()));
  }
}
