/**
 * mysql2's class relations hold for aurora-ha's objects, as code written for mysql2 (and
 * mysql2's own tests) check them: a pooled connection is `instanceof` mysql2's PoolConnection
 * and Connection and aurora-ha's Connection; a plain connection is not a PoolConnection; a
 * pooled connection's `release()` is mysql2's own PoolConnection.prototype.release (instrumenting
 * it, as APM agents do, reaches ours). No server is needed.
 */
import rawMysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/mysql2.js';

const CLOSED = { host: '127.0.0.1', port: 1, user: 'nobody', connectTimeout: 1000, plugins: [] };

describe('mysql2 class relations of aurora-ha objects', () => {
  it('PoolConnection derives from mysql2 PoolConnection and Connection, and from ours', () => {
    const proto = ours.PoolConnection.prototype;
    expect(proto instanceof rawMysql.PoolConnection).toBe(true);
    expect(proto instanceof rawMysql.Connection).toBe(true);
    expect(proto instanceof ours.Connection).toBe(true);
    expect(rawMysql.PoolConnection.prototype instanceof ours.PoolConnection).toBe(false);
  });

  it('a pool connection instance is every one of those; a plain connection is no PoolConnection', () => {
    const pool = ours.createPool(CLOSED);
    const pooled = new ours.PoolConnection(pool, CLOSED);
    pooled.on('error', () => undefined);
    const plain = ours.createConnection(CLOSED);
    plain.on('error', () => undefined);
    try {
      expect(pooled instanceof rawMysql.PoolConnection).toBe(true);
      expect(pooled instanceof rawMysql.Connection).toBe(true);
      expect(pooled instanceof ours.Connection).toBe(true);
      expect(pooled instanceof ours.PoolConnection).toBe(true);
      expect(plain instanceof ours.Connection).toBe(true);
      expect(plain instanceof rawMysql.Connection).toBe(true);
      expect(plain instanceof rawMysql.PoolConnection).toBe(false);
      expect(plain instanceof ours.PoolConnection).toBe(false);
      expect({} instanceof ours.Connection).toBe(false);
    } finally {
      pooled.destroy();
      plain.destroy();
      pool.end();
    }
  });

  it("release() of a pooled connection is mysql2's PoolConnection.prototype.release", () => {
    const mysqlRelease = (rawMysql.PoolConnection.prototype as unknown as { release: unknown }).release;
    expect(ours.PoolConnection.prototype.release).toBe(mysqlRelease);
    // Our connection members sit above mysql2's: query is ours (the pooled one adds the BEGIN
    // rerun after checkout on top of our Connection's), never mysql2's.
    const mysqlQuery = (rawMysql.PoolConnection.prototype as unknown as { query: unknown }).query;
    expect(ours.PoolConnection.prototype.query).not.toBe(mysqlQuery);
    expect(Object.getPrototypeOf(ours.PoolConnection.prototype)).toHaveProperty(
      'query',
      ours.Connection.prototype.query,
    );
  });
});

describe('mysql2/promise class relations of aurora-ha objects', () => {
  it("the promise module's PoolConnection derives from its Connection, as in mysql2/promise", async () => {
    const promiseModule = await import('../../src/mysql2-promise.js');
    expect(promiseModule.PoolConnection.prototype instanceof promiseModule.Connection).toBe(true);
    const conn = ours.createConnection(CLOSED);
    conn.on('error', () => undefined);
    try {
      // mysql2's promise wrapper around our connection is a promise Connection too.
      expect(conn.promise() instanceof promiseModule.Connection).toBe(true);
      expect(conn instanceof promiseModule.Connection).toBe(false);
    } finally {
      conn.destroy();
    }
  });
});
