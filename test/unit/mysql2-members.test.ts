/**
 * Member parity with mysql2, checked against the installed mysql2 so it holds as mysql2 evolves:
 * every export of `mysql2` and `mysql2/promise`, and every member (prototype chain and
 * instance) of mysql2's Connection, PromiseConnection, Pool and PoolCluster, exists on ours.
 * No server is needed: the connections point at a closed port and are destroyed.
 */
import { EventEmitter } from 'node:events';
import rawMysql from 'mysql2';
import rawPromise from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/mysql2.js';
import * as oursPromise from '../../src/mysql2-promise.js';

/** Every property name of `obj` and its prototype chain, below EventEmitter / Object. */
function members(obj: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = obj; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (p === EventEmitter.prototype || p === Object.prototype) break;
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
  }
  return [...names].sort();
}

function missing(expected: string[], actual: object): string[] {
  return expected.filter((k) => !(k in actual));
}

const CLOSED = { host: '127.0.0.1', port: 1, user: 'nobody', connectTimeout: 1000 };

describe('mysql2 member parity', () => {
  it('exports everything mysql2 and mysql2/promise export', () => {
    expect(missing(Object.keys(rawMysql), ours)).toEqual([]);
    expect(missing(Object.keys(rawMysql), ours.default)).toEqual([]);
    expect(missing(Object.keys(rawPromise), oursPromise)).toEqual([]);
    expect(missing(Object.keys(rawPromise), oursPromise.default)).toEqual([]);
  });

  it('Connection: every prototype and instance member of mysql2 Connection', () => {
    const raw = rawMysql.createConnection(CLOSED);
    raw.on('error', () => undefined);
    const conn = ours.createConnection({ ...CLOSED, plugins: [] });
    conn.on('error', () => undefined);
    try {
      expect(missing(members(raw), conn)).toEqual([]);
    } finally {
      raw.destroy();
      conn.destroy();
    }
  });

  it('PromiseConnection: every member of mysql2/promise PromiseConnection', () => {
    const raw = rawMysql.createConnection(CLOSED);
    raw.on('error', () => undefined);
    const rawWrapper = raw.promise();
    const conn = new oursPromise.PromiseConnection({ ...CLOSED, plugins: [] });
    const viaCallback = ours.createConnection({ ...CLOSED, plugins: [] });
    viaCallback.on('error', () => undefined);
    try {
      expect(missing(members(rawWrapper), conn)).toEqual([]);
      expect(missing(members(rawWrapper), viaCallback.promise() as object)).toEqual([]);
    } finally {
      raw.destroy();
      void conn.end().catch(() => undefined);
      viaCallback.destroy();
    }
  });

  it('Pool, PoolConnection, promise pool and PoolCluster: every member of mysql2 ones', async () => {
    const raw = rawMysql.createPool(CLOSED);
    const pool = ours.createPool({ ...CLOSED, plugins: [] });
    const rawCluster = rawMysql.createPoolCluster();
    const cluster = ours.createPoolCluster();
    try {
      expect(missing(members(raw), pool)).toEqual([]);
      expect(missing(members(raw.promise()), pool.promise() as object)).toEqual([]);
      expect(missing(members(rawMysql.PoolConnection.prototype), ours.PoolConnection.prototype)).toEqual([]);
      expect(missing(members(rawCluster), cluster)).toEqual([]);
      const rawPromiseCluster = rawPromise.createPoolCluster();
      const promiseCluster = oursPromise.createPoolCluster();
      expect(missing(members(rawPromiseCluster), promiseCluster)).toEqual([]);
      await rawPromiseCluster.end();
      await (promiseCluster as { end(): Promise<void> }).end();
    } finally {
      await new Promise<void>((r) => raw.end(() => r()));
      await new Promise<void>((r) => pool.end(() => r()));
      await new Promise<void>((r) => rawCluster.end(() => r()));
      await new Promise<void>((r) => cluster.end(() => r()));
    }
  });

  it('keeps a non-enumerable password (knex, pool libraries)', () => {
    const config = { ...CLOSED, plugins: [] };
    Object.defineProperty(config, 'password', { value: 'hidden-secret', enumerable: false });
    const conn = ours.createConnection(config);
    conn.on('error', () => undefined);
    try {
      expect(conn.config.password).toBe('hidden-secret');
    } finally {
      conn.destroy();
    }
  });
});
