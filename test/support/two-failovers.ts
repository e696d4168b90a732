/**
 * "Loses no acknowledged insert across two failovers", for either engine (the failover v1 test
 * files run it on a fresh 4-instance cluster): four workers, each on its own connection, insert
 * uniquely keyed rows and go on after each documented failover outcome, while the writer fails
 * over twice; afterwards every acknowledged key must be in the table.
 */
import { expect } from 'vitest';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import type { EmulatedCluster } from '../../src/emulator.js';

/** One engine's connection, reduced to what the scenario needs. */
export interface WritingConnection {
  connect(): Promise<unknown>;
  /** Run a statement without parameters (the table's creation). */
  run(sql: string): Promise<unknown>;
  /** Insert `key` into fo_writes (nothing when it is there already). */
  insert(key: string, worker: number): Promise<unknown>;
  /** Every key of fo_writes. */
  keys(): Promise<string[]>;
  end(): Promise<unknown>;
}

export async function expectNoLostWritesAcrossTwoFailovers(
  cluster: () => EmulatedCluster,
  open: () => WritingConnection,
  createTableSql: string,
): Promise<void> {
  const setup = open();
  await setup.connect();
  await setup.run(createTableSql);
  await setup.end();
  const acknowledged = new Set<string>();
  let stop = false;
  // Failovers start only once every worker is connected and has written: a connect that a
  // crash interrupts is not failed over (enableConnectFailover is off) and is not this test's
  // subject. On a loaded machine connecting can take longer than any fixed pause.
  const ready: Promise<void>[] = [];
  const worker = async (w: number, connected: () => void): Promise<void> => {
    const c = open();
    await c.connect().catch((e: unknown) => {
      throw Object.assign(new Error(`worker ${w} could not connect`), { cause: e });
    });
    for (let n = 0; !stop; n++) {
      const key = `w${w}-${n}`;
      for (;;) {
        try {
          await c.insert(key, w);
          acknowledged.add(key);
          if (n === 0) connected();
          break;
        } catch (err) {
          if (err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError)
            continue;
          throw err;
        }
      }
    }
  };
  // A worker's unexpected error is collected (and asserted below), never left unhandled.
  const workers = [0, 1, 2, 3].map((w) => {
    let connected!: () => void;
    ready.push(new Promise<void>((resolve) => (connected = resolve)));
    return worker(w, connected).then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  // A worker that failed to start ends the wait too (its error is asserted below).
  await Promise.race([Promise.all(ready), Promise.all(workers)]);
  await new Promise((r) => setTimeout(r, 500));
  await cluster().failover();
  await cluster().settled();
  await new Promise((r) => setTimeout(r, 500));
  await cluster().failover();
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  const workerErrors = (await Promise.all(workers)).filter((e) => e !== undefined);
  expect(workerErrors).toEqual([]);
  const check = open();
  await check.connect();
  const present = new Set(await check.keys());
  const lost = [...acknowledged].filter((k) => !present.has(k));
  expect(acknowledged.size).toBeGreaterThan(50);
  expect(lost).toEqual([]);
}

/**
 * What the test measures is lost writes, not time. Its time is a fresh 4-instance cluster, two
 * failovers and a settle: ~30 s on a quiet machine, 62 s beside a second suite (vitest's default
 * 60 s timeout failed there, issue 19); each step is bounded on its own.
 */
export const TWO_FAILOVERS_TIMEOUT_MS = 180_000;
