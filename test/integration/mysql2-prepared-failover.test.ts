/**
 * Prepared statements through a writer failover (emulator, Aurora MySQL flavour): a handle
 * from `prepare()` (callback and promise connection) and `execute()`'s own statement cache
 * keep working on the new writer, prepared again there transparently; the call that meets the
 * loss gets aurora-ha's documented failover error, never mysql2's closed-state error.
 */
import { describe, expect, it } from 'vitest';
import { FailoverSuccessError } from '../../src/core/errors.js';
import mysql from '../../src/mysql2.js';
import type { Connection } from '../../src/mysql2.js';
import * as mysqlPromise from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, writerId } from '../support/failover-harness.js';

interface Endable {
  end(): Promise<unknown>;
}

const harness = failoverHarness<Endable>('mysql', 2);
const { cluster, onFreshCluster } = harness;

type Rows = Record<string, unknown>[];
type Done = (err: Error | null, rows?: unknown) => void;

interface Statement {
  execute(values: unknown[], cb: Done): unknown;
  close(): unknown;
  id: number;
  query: string;
}

const SQL = 'SELECT ? + 1 AS n, @@aurora_server_id AS id';

function prepared(conn: Connection, sql: string): Promise<Statement> {
  return new Promise((resolve, reject) =>
    conn.prepare(sql, (err, stmt) => (err ? reject(err) : resolve(stmt as Statement))),
  );
}

function run(stmt: Statement, values: unknown[]): Promise<Rows> {
  return new Promise((resolve, reject) =>
    stmt.execute(values, (err, rows) => (err ? reject(err) : resolve(rows as Rows))),
  );
}

/** Settle a call: its rows, or the error it failed with. */
function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { err: unknown }> {
  return p.then(
    (ok) => ({ ok }),
    (err: unknown) => ({ err }),
  );
}

/**
 * The first call after the writer died meets the loss: either aurora-ha's FailoverSuccessError
 * (the loss was found by this call), or, when the failover already ran, a result from the new
 * writer. Never a driver error.
 */
function expectFailoverOrNewWriter(
  o: { ok: Rows } | { err: unknown },
  newWriter: string,
  idOf: (rows: Rows) => unknown,
): void {
  if ('err' in o) {
    expect(o.err).toBeInstanceOf(FailoverSuccessError);
  } else {
    expect(String(idOf(o.ok))).toBe(newWriter);
  }
}

describe('mysql2 prepared statements through a writer failover', () => {
  it('callback connection: a prepare() handle and execute() work on the new writer', async () =>
    onFreshCluster(2, async () => {
      const conn = mysql.createConnection({ ...mysqlConfig(cluster()), ...FAST });
      harness.track({ end: () => new Promise<void>((resolve) => conn.end(() => resolve())) });
      const oldWriter = writerId(cluster());
      const stmt = await prepared(conn, SQL);
      expect(stmt.query).toBe(SQL);
      const before = await run(stmt, [1]);
      expect(before).toEqual([{ n: 2, id: oldWriter }]);
      const viaExecute = await new Promise<Rows>((resolve, reject) =>
        conn.execute('SELECT ? AS v', [5], (err, rows) => (err ? reject(err) : resolve(rows as Rows))),
      );
      expect(viaExecute).toEqual([{ v: 5 }]);

      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);

      expectFailoverOrNewWriter(await outcome(run(stmt, [2])), newWriter, (r) => r[0]?.id);
      // The handle now runs on the new writer, prepared again there.
      expect(await run(stmt, [3])).toEqual([{ n: 4, id: newWriter }]);
      expect(await run(stmt, [4])).toEqual([{ n: 5, id: newWriter }]);
      const again = await new Promise<Rows>((resolve, reject) =>
        conn.execute('SELECT ? AS v', [6], (err, rows) => (err ? reject(err) : resolve(rows as Rows))),
      );
      expect(again).toEqual([{ v: 6 }]);
      // close() deallocates the statement on the new writer, as mysql2's does on its connection.
      stmt.close();
      expect(await run(stmt, [9]).catch((err: unknown) => (err as { errno?: number }).errno)).toBe(1243);
    }));

  it('promise connection: a prepare() handle and execute() work on the new writer', async () =>
    onFreshCluster(2, async () => {
      const conn = await mysqlPromise.createConnection({ ...mysqlConfig(cluster()), ...FAST });
      harness.track(conn);
      const oldWriter = writerId(cluster());
      const stmt = (await conn.prepare(SQL)) as {
        execute(values: unknown[]): Promise<[Rows, unknown]>;
        close(): Promise<void>;
      };
      const [before] = await stmt.execute([1]);
      expect(before).toEqual([{ n: 2, id: oldWriter }]);
      const [cached] = await conn.execute('SELECT ? AS v', [5]);
      expect(cached).toEqual([{ v: 5 }]);

      const { newWriter } = await cluster().failover();
      expect(newWriter).not.toBe(oldWriter);

      expectFailoverOrNewWriter(
        await outcome(stmt.execute([2]).then(([r]) => r)),
        newWriter,
        (r) => r[0]?.id,
      );
      const [after] = await stmt.execute([3]);
      expect(after).toEqual([{ n: 4, id: newWriter }]);
      const [cachedAfter] = await conn.execute('SELECT ? AS v', [6]);
      expect(cachedAfter).toEqual([{ v: 6 }]);
      await stmt.close();
    }));
});
