/**
 * The soak's workload: each worker owns one aurora-ha connection and loops over single
 * statements (a ledger insert, a read) and two-insert transactions, timing every call
 * against its bound. Failover outcomes are expected; anything else is recorded. A worker
 * whose connection reports FailoverFailedError (unusable) opens a new one.
 */
import {
  FailoverFailedError,
  FailoverSuccessError,
  TransactionResolutionUnknownError,
} from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { openSoakConnection, type SoakConnection } from './soak-connection.js';

/** The documented outcomes of the failover plugin: a call may end in one of these. */
const DOCUMENTED = [FailoverSuccessError, TransactionResolutionUnknownError, FailoverFailedError];

export interface CallRecord {
  op: string;
  ms: number;
  /** When the call ended (ms since the epoch). */
  at: number;
  /** How it ended: `ok` or the error's name. */
  ended: string;
}

/** Shared by all workers: what the checks read at the end. */
export interface WorkloadTally {
  acknowledged: string[];
  /** Keys whose fate is unknown (the write or its COMMIT ended in an error). */
  uncertain: number;
  calls: number;
  callsByOp: Record<string, number>;
  /** Documented outcomes by error name. */
  outcomes: Record<string, number>;
  /** Errors outside the documented set, by `name:code` (first message kept). */
  undocumented: Record<string, { count: number; example: string }>;
  /** Calls that took longer than their bound. */
  overBound: CallRecord[];
  /** Longest call seen, per op. */
  longestMs: Record<string, number>;
  reconnects: number;
  reconnectFailures: Record<string, number>;
  idleErrors: number;
  /** When calls ended in FailoverFailedError (the first 200), to match them with the faults. */
  failedAt: number[];
  /** Pool clients checked out (pool-workload.ts). */
  checkouts: number;
  /** Pool checkouts / pool.query calls that could not open a connection, by `op name:code`. */
  checkoutFailures: Record<string, number>;
}

export function emptyTally(): WorkloadTally {
  return {
    acknowledged: [],
    uncertain: 0,
    calls: 0,
    callsByOp: {},
    outcomes: {},
    undocumented: {},
    overBound: [],
    longestMs: {},
    reconnects: 0,
    reconnectFailures: {},
    idleErrors: 0,
    failedAt: [],
    checkouts: 0,
    checkoutFailures: {},
  };
}

export interface WorkerSettings {
  cluster: EmulatedCluster;
  options: Record<string, unknown>;
  runId: string;
  /** Bound of one call (detection + failoverTimeoutMs + the call's own time). */
  callBoundMs: number;
  signal: AbortSignal;
  tally: WorkloadTally;
}

export function errorLabel(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' || typeof code === 'number' ? `:${code}` : ''}`;
  }
  return typeof err;
}

export function isDocumented(err: unknown): boolean {
  return DOCUMENTED.some((cls) => err instanceof cls);
}

export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Time one call against its bound; a rejection is classified (documented or not) and rethrown.
 * `excused` may claim an error as expected and counted elsewhere (a pool's connect failure).
 */
export async function timedCall<T>(
  s: WorkerSettings,
  op: string,
  work: () => Promise<T>,
  excused: (err: unknown) => boolean = () => false,
): Promise<T> {
  const t = s.tally;
  const started = performance.now();
  let ended = 'ok';
  try {
    return await work();
  } catch (err) {
    ended = err instanceof Error ? err.name : typeof err;
    if (err instanceof FailoverFailedError && t.failedAt.length < 200) t.failedAt.push(Date.now());
    if (isDocumented(err))
      t.outcomes[err instanceof Error ? err.name : 'unknown'] =
        (t.outcomes[err instanceof Error ? err.name : 'unknown'] ?? 0) + 1;
    else if (!excused(err)) {
      const label = `${op} ${errorLabel(err)}`;
      const entry = (t.undocumented[label] ??= {
        count: 0,
        example: err instanceof Error ? err.message : String(err),
      });
      entry.count++;
    }
    throw err;
  } finally {
    const ms = performance.now() - started;
    t.calls++;
    t.callsByOp[op] = (t.callsByOp[op] ?? 0) + 1;
    if (ms > (t.longestMs[op] ?? 0)) t.longestMs[op] = Math.round(ms);
    if (ms > s.callBoundMs) t.overBound.push({ op, ms: Math.round(ms), at: Date.now(), ended });
  }
}

class Worker {
  private conn: SoakConnection | undefined;
  private seq = 0;

  constructor(
    private readonly id: number,
    private readonly s: WorkerSettings,
  ) {}

  private call(op: string, work: () => Promise<void>): Promise<void> {
    return timedCall(this.s, op, work);
  }

  private key(): string {
    return `${this.s.runId}-${this.id}-${this.seq++}`;
  }

  private async connection(): Promise<SoakConnection> {
    while (this.conn === undefined) {
      const c = openSoakConnection(this.s.cluster, this.s.options);
      try {
        await c.connect();
        this.conn = c;
      } catch (err) {
        const label = errorLabel(err);
        this.s.tally.reconnectFailures[label] = (this.s.tally.reconnectFailures[label] ?? 0) + 1;
        await c.end().catch(() => undefined);
        if (this.s.signal.aborted) throw err;
        await pause(200 + Math.random() * 300);
      }
    }
    return this.conn;
  }

  private async drop(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c !== undefined) {
      this.s.tally.idleErrors += c.idleErrors;
      await c.end().catch(() => undefined);
      this.s.tally.reconnects++;
    }
  }

  async run(): Promise<void> {
    while (!this.s.signal.aborted) {
      let conn: SoakConnection;
      try {
        conn = await this.connection();
      } catch {
        break;
      }
      try {
        const r = Math.random();
        if (r < 0.5) await this.single(conn);
        else if (r < 0.8) await this.transaction(conn);
        else await this.call('read', () => conn.read());
      } catch (err) {
        if (err instanceof FailoverFailedError) await this.drop();
      }
      await pause(50 + Math.random() * 100);
    }
    await this.drop();
  }

  private async single(conn: SoakConnection): Promise<void> {
    const key = this.key();
    try {
      await this.call('insert', () => conn.insert(key, this.id));
    } catch (err) {
      this.s.tally.uncertain++;
      throw err;
    }
    this.s.tally.acknowledged.push(key);
  }

  private async transaction(conn: SoakConnection): Promise<void> {
    const keys = [this.key(), this.key()];
    let begun = false;
    try {
      await this.call('begin', () => conn.begin());
      begun = true;
      for (const k of keys) await this.call('tx-insert', () => conn.insert(k, this.id));
      await this.call('commit', () => conn.commit());
    } catch (err) {
      this.s.tally.uncertain += keys.length;
      // A failover outcome already rolled back and left the transaction; other errors: roll back here.
      if (begun && !isDocumented(err))
        await this.call('rollback', () => conn.rollback()).catch(() => undefined);
      throw err;
    }
    this.s.tally.acknowledged.push(...keys);
  }
}

/** Run `n` workers until `signal` aborts; resolves when every worker closed its connection. */
export async function runWorkers(n: number, s: WorkerSettings): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => new Worker(i, s).run()));
}
