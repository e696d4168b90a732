/**
 * The prepared-statement handle of aurora-ha/mysql2 (src/facades/mysql2/prepared-statement.ts):
 * on another physical connection (after a failover) the statement is prepared again there, once —
 * two asks while that PREPARE runs share it (the fast path and the pipeline may both ask for one
 * execute); a PREPARE answered synchronously (mysql2's statement cache) or throwing leaves nothing
 * pending.
 */
import { describe, expect, it } from 'vitest';
import type { NativeMysqlConnection } from '../../src/facades/mysql2/mysql2-native.js';
import {
  PreparedStatement,
  type NativeStatement,
  type StatementOwner,
} from '../../src/facades/mysql2/prepared-statement.js';

type PrepareCallback = (err: Error | null, info?: unknown) => void;

/** A fake mysql2 connection whose prepare() answers when the test says (or at once, or throws). */
class FakeNative {
  prepares = 0;
  readonly pending: PrepareCallback[] = [];
  constructor(private readonly mode: 'later' | 'sync' | 'throw' = 'later') {}
  prepare(_options: unknown, cb: PrepareCallback): void {
    this.prepares++;
    if (this.mode === 'throw') throw new Error("Can't add new command when connection is in closed state");
    if (this.mode === 'sync') cb(null, statementOn(this));
    else this.pending.push(cb);
  }
  answer(): void {
    for (const cb of this.pending.splice(0)) cb(null, statementOn(this));
  }
}

function statementOn(native: object): NativeStatement & { _connection: object } {
  return {
    _connection: native,
    query: 'SELECT ?',
    id: 1,
    columns: [],
    parameters: [],
    rowParser: undefined,
    execute: () => undefined,
    close: () => undefined,
  };
}

const owner: StatementOwner = {
  executePrepared: () => undefined,
  nativeConnection: undefined,
  config: {},
};

const asNative = (f: FakeNative): NativeMysqlConnection => f as unknown as NativeMysqlConnection;

describe('PreparedStatement.on(native)', () => {
  it('prepares once on a new connection when asked twice while the PREPARE runs', async () => {
    const first = new FakeNative();
    const handle = new PreparedStatement(owner, statementOn(first), { sql: 'SELECT ?' });
    expect(handle.on(asNative(first))).not.toBeInstanceOf(Promise);
    const next = new FakeNative();
    const a = handle.on(asNative(next));
    const b = handle.on(asNative(next));
    expect(next.prepares).toBe(1);
    next.answer();
    const [sa, sb] = await Promise.all([a, b]);
    expect(sa).toBe(sb);
    // Prepared there now: no promise, no PREPARE.
    expect(handle.on(asNative(next))).toBe(sa);
    expect(next.prepares).toBe(1);
  });

  it('a PREPARE answered synchronously or throwing leaves nothing pending', async () => {
    const handle = new PreparedStatement(owner, statementOn(new FakeNative()), { sql: 'SELECT ?' });
    const cached = new FakeNative('sync');
    await handle.on(asNative(cached));
    const closed = new FakeNative('throw');
    await expect(handle.on(asNative(closed))).rejects.toThrow(/closed state/);
    await expect(handle.on(asNative(closed))).rejects.toThrow(/closed state/);
    expect(closed.prepares).toBe(2);
  });
});
