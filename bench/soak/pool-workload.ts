/**
 * The soak's pool workload: workers sharing one aurora-ha pool, each looping over a checkout →
 * insert / two-insert transaction / read → release, and a one-statement `pool.query` insert.
 * Every call is timed against its bound and classified like the connection workers' calls
 * (workload.ts), every acknowledged write goes to the ledger. A checkout (also the one inside
 * `pool.query`) that cannot open a new connection while the cluster is down is a connect
 * failure, counted apart like the connection workers' reconnect failures (soak-pool.ts tells
 * them by the pool's own checkout); any other error outside the documented set is undocumented.
 */
import { openSoakPool, type SoakPool, type SoakPooled } from './soak-pool.js';
import { errorLabel, isDocumented, pause, timedCall, type WorkerSettings } from './workload.js';

class PoolWorker {
  private seq = 0;

  constructor(
    private readonly id: number,
    private readonly pool: SoakPool,
    private readonly s: WorkerSettings,
  ) {}

  private key(): string {
    return `${this.s.runId}-p${this.id}-${this.seq++}`;
  }

  /**
   * Time a call. For a call that may have to open a connection (a checkout, `pool.query`), a
   * connect failure is counted apart instead of as an undocumented error.
   */
  private call<T>(op: string, work: () => Promise<T>): Promise<T> {
    const t = this.s.tally;
    const mayConnect = op === 'checkout' || op === 'pool.query';
    return timedCall(this.s, op, work, (err) => {
      if (!mayConnect || !this.pool.checkoutFailed(err)) return false;
      const label = `${op} ${errorLabel(err)}`;
      t.checkoutFailures[label] = (t.checkoutFailures[label] ?? 0) + 1;
      return true;
    });
  }

  async run(): Promise<void> {
    while (!this.s.signal.aborted) {
      const r = Math.random();
      try {
        if (r < 0.3) await this.poolQuery();
        else await this.checkedOut(r);
      } catch (err) {
        // Outcomes are tallied by the call; a connect failure waits a little before the next try.
        if (!isDocumented(err)) await pause(200 + Math.random() * 300);
      }
      await pause(50 + Math.random() * 100);
    }
  }

  private async poolQuery(): Promise<void> {
    const key = this.key();
    try {
      await this.call('pool.query', () => this.pool.insert(key, 1000 + this.id));
    } catch (err) {
      this.s.tally.uncertain++;
      throw err;
    }
    this.s.tally.acknowledged.push(key);
  }

  private async checkedOut(r: number): Promise<void> {
    const client = await this.call('checkout', () => this.pool.checkout());
    this.s.tally.checkouts++;
    let failure: unknown;
    try {
      if (r < 0.6) await this.single(client);
      else if (r < 0.9) await this.transaction(client);
      else await this.call('pooled read', () => client.read());
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      client.release(failure);
    }
  }

  private async single(client: SoakPooled): Promise<void> {
    const key = this.key();
    try {
      await this.call('pooled insert', () => client.insert(key, 1000 + this.id));
    } catch (err) {
      this.s.tally.uncertain++;
      throw err;
    }
    this.s.tally.acknowledged.push(key);
  }

  private async transaction(client: SoakPooled): Promise<void> {
    const keys = [this.key(), this.key()];
    let begun = false;
    try {
      await this.call('pooled begin', () => client.begin());
      begun = true;
      for (const k of keys) await this.call('pooled tx-insert', () => client.insert(k, 1000 + this.id));
      await this.call('pooled commit', () => client.commit());
    } catch (err) {
      this.s.tally.uncertain += keys.length;
      // A failover outcome already rolled back; other errors: roll back before the release.
      if (begun && !isDocumented(err))
        await this.call('pooled rollback', () => client.rollback()).catch(() => undefined);
      throw err;
    }
    this.s.tally.acknowledged.push(...keys);
  }
}

/**
 * One pool of `size` for the run and `workers` workers on it, until `signal` aborts; resolves
 * once every worker stopped and the pool ended (its `'error'` events counted into the tally).
 */
export async function runPoolWorkers(workers: number, size: number, s: WorkerSettings): Promise<void> {
  if (workers === 0) return;
  const pool = openSoakPool(s.cluster, s.options, size);
  try {
    await Promise.all(Array.from({ length: workers }, (_, i) => new PoolWorker(i, pool, s).run()));
  } finally {
    await pool.end().catch(() => undefined);
    s.tally.idleErrors += pool.errors;
  }
}
