/**
 * The fake physical connection: one open session to one scripted instance. It answers the
 * dialects' SQL from the script (aurora-answers.ts), runs the user's statements (a write on a
 * reader is refused read-only, 25006), tracks the transaction status as pg's ReadyForQuery does
 * ('I' / 'T' / 'E'), and fails the way pg's adapter fails: a server reset rejects pending calls
 * with ECONNRESET and tells the loss listeners; our own abort() rejects them with pg's code-less
 * "Connection terminated" marked as a lost connection; a call on a closed connection gets pg's
 * code-less "not queryable" (a network error because the connection is closed).
 */
import type { PhysicalConnection, SessionState } from '../../../src/drivers/driver.js';
import type { HostInfo } from '../../../src/drivers/host-info.js';
import { hostKey } from '../../../src/drivers/host-info.js';
import { markConnectionLost, notifyLoss, timeoutError } from '../../../src/drivers/connection-lost.js';
import { dialectAnswer, isCatalogueProbe, sqlError, type Answer } from './aurora-answers.js';
import type { MemoryCluster, MemoryInstance } from './cluster-script.js';

type TxStatus = 'I' | 'T' | 'E';

interface Pending {
  reject(err: Error): void;
}

const WRITE = /^\s*(insert|update|delete|create|drop|alter|truncate)\b/i;

/** The native object the facade would hold; tests only need it to exist. */
export interface MemoryNative {
  readonly instance: string;
}

export class MemoryConnection implements PhysicalConnection<MemoryNative> {
  readonly native: MemoryNative;
  #closed = false;
  #tx: TxStatus = 'I';
  /** The server's side of the transaction: failed, whether or not ReadyForQuery said so yet. */
  #serverFailed = false;
  readonly #pending = new Set<Pending>();
  readonly #listeners: ((err: Error) => void)[] = [];
  /** Statements this session ran (user and internal), in order. */
  readonly statements: string[] = [];

  constructor(
    readonly host: HostInfo,
    readonly instance: MemoryInstance,
    private readonly cluster: MemoryCluster,
  ) {
    this.native = { instance: instance.id };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get transactionStatus(): TxStatus {
    return this.#tx;
  }

  inTransaction(): boolean {
    return this.#tx !== 'I';
  }

  acceptsQueries(): boolean {
    return !this.#closed && this.#tx !== 'E';
  }

  reportedSessionState(): SessionState {
    return {};
  }

  /** A user statement (what a facade's query sends). */
  query(sql: string): Promise<unknown[][]> {
    return this.run(sql, undefined);
  }

  queryRows(sql: string, timeoutMs?: number): Promise<unknown[][]> {
    return this.run(sql, timeoutMs);
  }

  async queryWithColumns(sql: string, timeoutMs?: number): Promise<{ columns: string[]; rows: unknown[][] }> {
    const rows = await this.run(sql, timeoutMs);
    return { columns: (rows[0] ?? []).map((_, i) => `c${i}`), rows };
  }

  remoteAddress(): { address: string; port: number } | undefined {
    return this.#closed
      ? undefined
      : { address: `10.0.0.${this.cluster.instances.indexOf(this.instance) + 1}`, port: this.instance.port };
  }

  abort(): void {
    if (this.#closed) return;
    this.#end();
    const lateMs = this.instance.abortedCallsLateMs;
    if (lateMs > 0) {
      const all = [...this.#pending];
      this.#pending.clear();
      const late = setTimeout(() => {
        for (const p of all) p.reject(new Error('Client was closed and is not queryable'));
      }, lateMs);
      late.unref();
      return;
    }
    const err = new Error('Connection terminated');
    markConnectionLost(err);
    this.#rejectAll(err);
  }

  close(): Promise<void> {
    this.abort();
    return Promise.resolve();
  }

  onError(listener: (err: Error) => void): void {
    this.#listeners.push(listener);
  }

  /** The server side dropped the session (cluster.reset): pending calls fail, listeners hear once. */
  serverReset(): void {
    if (this.#closed) return;
    this.#end();
    const err = sqlError('ECONNRESET', `read ECONNRESET (${hostKey(this.host)})`);
    markConnectionLost(err);
    this.#rejectAll(err);
    notifyLoss(this.#listeners, err);
  }

  #end(): void {
    this.#closed = true;
    this.instance.open.delete(this);
  }

  #rejectAll(err: Error): void {
    const all = [...this.#pending];
    this.#pending.clear();
    for (const p of all) p.reject(err);
  }

  private run(sql: string, timeoutMs: number | undefined): Promise<unknown[][]> {
    if (this.#closed) {
      return Promise.reject(new Error('Client has encountered a connection error and is not queryable'));
    }
    this.statements.push(sql);
    this.cluster.note('query', this.instance.id, sql);
    return new Promise<unknown[][]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let answerTimer: NodeJS.Timeout | undefined;
      const entry: Pending = {
        reject: (err) => {
          clearTimeout(timer);
          clearTimeout(answerTimer);
          reject(err);
        },
      };
      this.#pending.add(entry);
      const settle = (): void => {
        if (!this.#pending.delete(entry)) return;
        clearTimeout(timer);
        const answer = this.answer(sql);
        if ('error' in answer) reject(answer.error);
        else resolve(answer.rows);
      };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(() => {
          if (!this.#pending.delete(entry)) return;
          clearTimeout(answerTimer);
          // As pg's adapter: the instance stopped answering, the connection is dropped.
          reject(timeoutError(`Query to ${hostKey(this.host)} timed out after ${timeoutMs} ms`));
          this.abort();
        }, timeoutMs);
        timer.unref();
      }
      const injected = this.instance.queryError?.(sql);
      if (injected !== undefined) {
        queueMicrotask(() => {
          if (this.#pending.delete(entry)) entry.reject(injected);
        });
        return;
      }
      if (this.instance.queryMode === 'silent') return; // answered never: abort, reset or timeout ends it
      if (this.instance.queryDelayMs > 0) {
        answerTimer = setTimeout(settle, this.instance.queryDelayMs);
        answerTimer.unref();
      } else {
        queueMicrotask(settle);
      }
    });
  }

  /** The server's answer now (roles and views read at answer time). */
  private answer(sql: string): Answer {
    const inst = this.instance;
    const text = sql.trim();
    // COMMIT of a failed transaction rolls it back, as PostgreSQL does.
    if (/^(rollback|commit)\b/i.test(text)) {
      this.#tx = 'I';
      this.#serverFailed = false;
      return { rows: [] };
    }
    if (this.#tx === 'E' || this.#serverFailed) {
      return {
        error: sqlError(
          '25P02',
          'current transaction is aborted, commands ignored until end of transaction block',
        ),
      };
    }
    if (/^(begin|start transaction)\b/i.test(text)) {
      this.#tx = 'T';
      return { rows: [] };
    }
    const known = dialectAnswer(this.cluster, inst, sql);
    if (known !== undefined) return known;
    if (isCatalogueProbe(sql)) return this.failed(sqlError('42883', 'function does not exist'));
    if (WRITE.test(text) && (inst.role === 'reader' || inst.userReadOnly)) {
      return this.failed(sqlError('25006', 'cannot execute statement in a read-only transaction'));
    }
    return { rows: [[1]] };
  }

  /** An error inside a transaction fails it ('E'), possibly announced late (readyForQueryLagMs). */
  private failed(error: Error): Answer {
    if (this.#tx === 'T') {
      // The server failed the transaction now: every statement but ROLLBACK is refused.
      this.#serverFailed = true;
      const lag = this.instance.readyForQueryLagMs;
      if (lag <= 0) this.#tx = 'E';
      else {
        const t = setTimeout(() => {
          if (this.#tx === 'T' && this.#serverFailed) this.#tx = 'E';
        }, lag);
        t.unref();
      }
    }
    return { error };
  }
}
