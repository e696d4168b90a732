/**
 * The attached side of `aurora-ha/emulator/attach`: one persistent, unref'd connection to a
 * cluster's control endpoint (`AURORA_HA_EMULATOR=host:port`) that receives the cluster's
 * name table (protocol.ts) and answers the cluster's names from it through the emulator's
 * DNS hook (dns.ts: `dns.lookup`, `dns.promises.lookup`, ESM named imports), synchronously.
 *
 * Without a table (not connected yet, connection lost) every name of a cluster seen before
 * answers ENOTFOUND at once; other names go to the system resolver. The connection is
 * retried with capped exponential backoff and jitter on unref'd timers: nothing here keeps
 * the application's process alive. call() sends a fault operation to the emulator (the
 * socket is ref'd while a call is pending, so an awaited call holds the process open).
 */
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { ConfigurationError } from '../../core/errors.js';
import { registerNames } from '../dns.js';
import {
  decodeReply,
  decodeTable,
  encodeLine,
  MAX_LINE_BYTES,
  type ControlOp,
  type NameTable,
  type ReplyMessage,
} from './protocol.js';

export const ENV_VAR = 'AURORA_HA_EMULATOR';

/** First retry after about this, doubling up to RETRY_MAX_MS (each delay × 0.5–1 jitter). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** A connection attempt that neither connects nor fails within this is abandoned and retried. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * How a call ended. Plain data, not an error object: the attachment may come from another
 * copy of this module (a CommonJS preload under an ESM application), whose error classes the
 * caller's `instanceof` would not recognise; attached-cluster.ts builds the caller's own.
 */
export type CallOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ControlAddress {
  host: string;
  port: number;
}

/** Parses `host:port` (`[v6]:port` too); a ConfigurationError naming AURORA_HA_EMULATOR otherwise. */
export function parseControlAddress(value: string | undefined): ControlAddress {
  const bad = (why: string): ConfigurationError =>
    new ConfigurationError(
      ENV_VAR,
      `${ENV_VAR} ${why}: set it to the control endpoint \`aurora-ha emulator\` prints (cluster.controlEndpoint), e.g. 127.0.0.1:41234`,
    );
  if (value === undefined || value.trim() === '') throw bad('is not set');
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
    throw bad(`must be host:port (got "${value}")`);
  return { host, port };
}

/** One attachment to one cluster. */
export class AttachClient {
  private table: NameTable | undefined;
  /** Domains of the clusters seen: their names answer ENOTFOUND while there is no table. */
  private readonly domains = new Set<string>();
  private socket: net.Socket | undefined;
  private failures = 0;
  private readonly waiters = new Set<() => void>();
  private readonly pending = new Map<number, (outcome: CallOutcome) => void>();
  private nextCallId = 1;

  constructor(private readonly address: ControlAddress) {
    // For the life of the process: nothing detaches (the connection simply drops with it).
    registerNames((name) => this.resolve(name));
    this.connect();
  }

  /**
   * Resolves true once a table is held, false after `timeoutMs`. The timer is ref'd: it holds
   * the process open for at most `timeoutMs` (an `--import` awaiting it would otherwise end).
   */
  whenAttached(timeoutMs: number): Promise<boolean> {
    if (this.table) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(onTable);
        resolve(ok);
      };
      const onTable = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(onTable);
    });
  }

  /**
   * Runs a cluster operation in the emulator (attached-cluster.ts). Never rejects: fails with
   * EMULATOR_NOT_ATTACHED when no table is held, EMULATOR_DISCONNECTED when the connection
   * drops before the reply, or the emulator's own error code and message.
   */
  call(op: ControlOp, args: readonly unknown[]): Promise<CallOutcome> {
    const socket = this.socket;
    if (!this.table || !socket)
      return Promise.resolve({
        ok: false,
        code: 'EMULATOR_NOT_ATTACHED',
        message: `${op}: not attached to an emulated cluster (${ENV_VAR}=${this.address.host}:${this.address.port})`,
      });
    const id = this.nextCallId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      socket.ref();
      socket.write(encodeLine({ type: 'call', id, op, args }));
    });
  }

  private resolve(name: string): string | null | undefined {
    const table = this.table;
    if (table && name.endsWith(table.domain)) {
      if (name === table.writerHost) return table.writer;
      if (name === table.readerHost) {
        if (table.readers.length === 0) return table.writer;
        return table.readers[randomInt(table.readers.length)] ?? null;
      }
      return table.instances[name] ?? null;
    }
    for (const domain of this.domains) if (name.endsWith(domain)) return null;
    return undefined;
  }

  private connect(): void {
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy());
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.setTimeout(0));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const table = decodeTable(line);
        if (table) this.onTable(table);
        else {
          const reply = decodeReply(line);
          if (reply) this.onReply(socket, reply);
        }
      }
      if (buffered.length > MAX_LINE_BYTES) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.table = undefined;
      for (const [id, settle] of this.pending) {
        this.pending.delete(id);
        settle({
          ok: false,
          code: 'EMULATOR_DISCONNECTED',
          message: 'the emulator connection closed before the reply',
        });
      }
      this.scheduleRetry();
    });
  }

  private onTable(table: NameTable): void {
    this.table = table;
    this.domains.add(table.domain);
    this.failures = 0;
    for (const waiter of [...this.waiters]) waiter();
  }

  private onReply(socket: net.Socket, reply: ReplyMessage): void {
    const settle = this.pending.get(reply.id);
    if (!settle) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) socket.unref();
    settle(
      reply.ok ? { ok: true, value: reply.value } : { ok: false, code: reply.code, message: reply.message },
    );
  }

  private scheduleRetry(): void {
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures, 10));
    this.failures++;
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));
    setTimeout(() => this.connect(), delay).unref();
  }
}

const ATTACHED = Symbol.for('aurora-ha.emulator.attach');

/**
 * Attach this process to the cluster named by `AURORA_HA_EMULATOR` (once per process: a second
 * call, e.g. both `--import` and `--require`, returns the first attachment). Throws a
 * ConfigurationError naming the variable when it is missing or malformed.
 */
export function attachFromEnv(env: NodeJS.ProcessEnv = process.env): AttachClient {
  const holder = globalThis as { [ATTACHED]?: AttachClient };
  const existing = holder[ATTACHED];
  if (existing) return existing;
  const client = new AttachClient(parseControlAddress(env[ENV_VAR]));
  holder[ATTACHED] = client;
  return client;
}
