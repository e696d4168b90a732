/**
 * The per-host detection cache stays bounded. Connections here are stand-ins that answer
 * every query with an error (a server of no known flavour), so only the cache logic runs;
 * detection against real engines is in test/integration/dialects-*.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { clearDialectCache, detectDialect, DIALECT_CACHE_SIZE } from '../../src/dialects/detect-dialect.js';
import { makeHost } from '../../src/hosts/host-info.js';

function unknownServer(port: number): PhysicalConnection & { queries: number } {
  const conn = {
    queries: 0,
    host: makeHost('10.0.0.1', port),
    native: undefined,
    closed: false,
    queryRows(): Promise<unknown[][]> {
      conn.queries++;
      return Promise.reject(new Error('function does not exist'));
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
