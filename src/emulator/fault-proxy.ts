/**
 * One TCP proxy in front of one engine instance: listens on the instance's public loopback
 * address and forwards to the engine's internal address. Faults are switchable at run time
 * and hit new AND existing connections: refuse (listener closed), reset (RST), blackhole
 * (accepted but silent; TCP-like, data waits and flows again after heal), latency, and
 * "engine down" (a crashed instance: connections reset, new ones refused).
 *
 * A blackhole outranks "engine down": a client cut off by a silent network cannot see its
 * server die. While blackholed, an engine crash or a dropConnections() only loses the
 * upstream side; the client's socket stays open and mute, and new connections are still
 * accepted and left hanging. Healing then resets what lost its engine (what a host answers
 * to segments of a connection it no longer knows), and lets the rest flow again.
 */
import net from 'node:net';
import type { PartitionMode } from './types.js';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Its engine connection is gone while the client was blackholed: reset it at heal. */
  lost: boolean;
}

export class FaultProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<Pair>();
  private mode: PartitionMode | 'none' = 'none';
  private engineUp = true;
  private latencyMs = 0;
  private stopped = false;

  constructor(
    readonly listenAddress: string,
    readonly port: number,
    private readonly target: { address: string; port: number },
  ) {}

  /** Start listening (rejects with EADDRINUSE etc.). */
  async start(): Promise<void> {
    await this.openListener();
  }

  get partitionMode(): PartitionMode | 'none' {
    return this.mode;
  }

  setPartition(mode: PartitionMode | 'none'): void {
    this.mode = mode;
    if (mode === 'reset' || mode === 'refuse') this.resetAll();
    void this.syncListener();
    if (mode === 'none') for (const pair of [...this.pairs]) this.resume(pair);
    if (mode === 'blackhole') for (const pair of this.pairs) this.pause(pair);
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Engine crashed / stopped (false) or back (true). */
  setEngineUp(up: boolean): void {
    this.engineUp = up;
    if (!up) this.loseAll();
    void this.syncListener();
  }

  /** Reset every open connection (an Aurora reader restarting to follow a new writer). */
  dropConnections(): void {
    this.loseAll();
  }

  get connectionCount(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resetAll();
    await this.closeListener();
  }

  private shouldListen(): boolean {
    if (this.stopped) return false;
    return this.mode === 'blackhole' || (this.engineUp && this.mode !== 'refuse');
  }

  private async syncListener(): Promise<void> {
    try {
      if (this.shouldListen()) await this.openListener();
      else await this.closeListener();
    } catch {
      // the next state change retries
    }
  }

  private openListener(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        if (this.server === server) this.server = undefined;
        reject(err);
      });
      server.listen({ host: this.listenAddress, port: this.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve();
      });
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.stopped || this.mode === 'reset' || this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode !== 'blackhole' && !this.engineUp) {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: undefined, lost: false };
    this.pairs.add(pair);
    client.once('close', () => this.drop(pair));
    if (this.mode === 'blackhole') {
      // no upstream yet: it is opened at heal, if the engine is up then
      client.pause();
      return;
    }
    this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = net.connect({ host: this.target.address, port: this.target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => undefined);
    upstream.once('close', () => {
      if (!this.pairs.has(pair)) return;
      if (this.mode === 'blackhole') {
        pair.lost = true; // silent until heal
        return;
      }
      this.pairs.delete(pair);
      if (!pair.client.destroyed) {
        if (pair.client.writableEnded) pair.client.destroy();
        else pair.client.resetAndDestroy();
      }
    });
    this.forward(pair.client, upstream);
    this.forward(upstream, pair.client);
    if (this.mode === 'blackhole') this.pause(pair);
  }

  private forward(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.latencyMs > 0) {
        const timer = setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, this.latencyMs);
        timer.unref();
      } else if (!to.destroyed) {
        to.write(chunk);
      }
    });
    from.once('end', () => {
      if (!to.destroyed) to.end();
    });
  }

  private pause(pair: Pair): void {
    pair.client.pause();
    pair.upstream?.pause();
  }

  private resume(pair: Pair): void {
    if (pair.client.destroyed) return;
    if (pair.lost || (pair.upstream === undefined && !this.engineUp)) {
      // the engine side is gone: the client finally hears about it
      this.pairs.delete(pair);
      pair.client.resetAndDestroy();
      return;
    }
    if (!pair.upstream) this.connectUpstream(pair);
    pair.client.resume();
    pair.upstream?.resume();
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.destroy();
  }

  /** The engine side of every connection is gone: clients are reset, or stay mute while blackholed. */
  private loseAll(): void {
    if (this.mode !== 'blackhole') {
      this.resetAll();
      return;
    }
    for (const pair of this.pairs) {
      if (!pair.upstream) continue; // never reached the engine: connects at heal if it is up again
      pair.lost = true;
      if (!pair.upstream.destroyed) pair.upstream.destroy();
    }
  }

  private resetAll(): void {
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      if (!pair.client.destroyed) {
        if (pair.client.writableEnded) pair.client.destroy();
        else pair.client.resetAndDestroy();
      }
      if (pair.upstream && !pair.upstream.destroyed) pair.upstream.destroy();
    }
  }
}
