/**
 * The per-host detection cache stays bounded. Connections here are stand-ins that answer
 * every query with an error (a server of no known flavour), so only the cache logic runs;
 * detection against real engines is in test/integration/dialects-*.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import {
  cachedDialect,
  clearDialectCache,
  detectDialect,
  DIALECT_CACHE_SIZE,
} from '../../src/dialects/detect-dialect.js';
import { makeHost } from '../../src/drivers/host-info.js';

function unknownServer(port: number): PhysicalConnection & { queries: number } {
  const conn = {
    queries: 0,
    host: makeHost('10.0.0.1', port),
    native: undefined,
    closed: false,
    queryRows(): Promise<unknown[][]> {
      conn.queries++;
      // A definite "no": PG undefined_function / MySQL ER_SP_DOES_NOT_EXIST.
      return Promise.reject(
        Object.assign(new Error('function does not exist'), { code: '42883', errno: 1305 }),
      );
    },
    inTransaction: () => false,
    abort: () => undefined,
    close: () => Promise.resolve(),
    onError: () => undefined,
  };
  return conn;
}

describe('dialect detection cache', () => {
  beforeEach(() => clearDialectCache());

  it('treats failing checks as "no" and lands on the plain dialect', async () => {
    const conn = unknownServer(1);
    expect((await detectDialect(conn, 'postgres')).name).toBe('postgres');
    expect(conn.queries).toBe(3); // aurora, multi-az, replica-cluster checks
    expect((await detectDialect(unknownServer(2), 'mysql')).name).toBe('mysql');
  });

  it('evicts the least recently detected host beyond its bound', async () => {
    for (let port = 1; port <= DIALECT_CACHE_SIZE; port++)
      await detectDialect(unknownServer(port), 'postgres');
    const firstAgain = unknownServer(1);
    await detectDialect(firstAgain, 'postgres');
    expect(firstAgain.queries).toBe(0); // still cached, and now the most recent
    await detectDialect(unknownServer(DIALECT_CACHE_SIZE + 1), 'postgres'); // evicts port 2
    const second = unknownServer(2);
    await detectDialect(second, 'postgres');
    expect(second.queries).toBeGreaterThan(0);
    const first = unknownServer(1);
    await detectDialect(first, 'postgres');
    expect(first.queries).toBe(0);
  });

  it('honours an explicit dialect without querying', async () => {
    const conn = unknownServer(9);
    expect((await detectDialect(conn, 'mysql', { dialect: 'aurora-mysql' })).name).toBe('aurora-mysql');
    expect(conn.queries).toBe(0);
  });

  it('shares one detection between connections opened together to the same host', async () => {
    const a = unknownServer(20);
    const b = unknownServer(20);
    const [da, db] = await Promise.all([detectDialect(a, 'postgres'), detectDialect(b, 'postgres')]);
    expect(da).toBe(db);
    expect(a.queries).toBeGreaterThan(0);
    expect(b.queries).toBe(0);
  });
});

describe('an inconclusive detection is not cached (issue 9 item 8)', () => {
  beforeEach(() => clearDialectCache());

  /** A server whose Aurora check fails once with a statement timeout (57014), then answers "yes". */
  function flakyAurora(): PhysicalConnection & { queries: number } {
    let failNext = true;
    const conn = {
      queries: 0,
      host: makeHost('10.0.0.9', 5432),
      native: undefined,
      closed: false,
      queryRows(sql: string): Promise<unknown[][]> {
        conn.queries++;
        if (sql.includes('rds.extensions')) {
          if (failNext) {
            failNext = false;
            return Promise.reject(
              Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
            );
          }
          return Promise.resolve([[true]]);
        }
        return Promise.reject(Object.assign(new Error('no'), { code: '42883' }));
      },
      inTransaction: () => false,
      abort: () => undefined,
      close: () => Promise.resolve(),
      onError: () => undefined,
    };
    return conn;
  }

  it('a timed-out check gives this connection the plain dialect, caches nothing, and the next detection finds Aurora', async () => {
    const conn = flakyAurora();
    expect((await detectDialect(conn, 'postgres')).name).toBe('postgres');
    expect(cachedDialect(conn.host)).toBeUndefined();
    expect((await detectDialect(conn, 'postgres')).name).toBe('aurora-postgres');
    expect(cachedDialect(conn.host)?.name).toBe('aurora-postgres');
  });
});
