/**
 * Drop-in parity with the installed pg: every public member of pg's module, of pg.Client
 * (prototype chain and the fields its constructor sets) and of pg.Pool exists on ours. Lists
 * are read from pg itself, so a member a newer pg adds fails here until ours has it.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import auroraPg, * as named from '../../src/pg.js';
import { Client, Pool } from '../../src/pg.js';
import { driverMemberNames } from '../../src/facades/pg/delegate-members.js';

function protoMembers(cls: abstract new (...args: never[]) => object): string[] {
  const names = new Set<string>();
  for (
    let p: object | null = cls.prototype as object;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor') names.add(n);
  }
  return [...names];
}

describe('aurora-ha/pg has every public member of pg', () => {
  it('module: every enumerable export of pg, on the default export and as a named export', () => {
    const missingDefault = Object.keys(pg).filter((k) => !(k in auroraPg));
    const missingNamed = Object.keys(pg).filter((k) => !(k in named));
    expect(missingDefault).toEqual([]);
    expect(missingNamed).toEqual([]);
    expect(auroraPg.Client).toBe(Client);
    expect(auroraPg.Pool).toBe(Pool);
    for (const k of Object.keys(pg)) {
      if (k === 'Client' || k === 'Pool') continue;
      expect((auroraPg as unknown as Record<string, unknown>)[k], k).toBe(
        (pg as unknown as Record<string, unknown>)[k],
      );
    }
  });

  it('Client: prototype members and constructor-set fields of pg.Client', () => {
    const sample = new pg.Client();
    const ours = new Client({ plugins: [] });
    const wanted = driverMemberNames(pg.Client, sample);
    expect(wanted.length).toBeGreaterThan(40); // the enumeration itself works
    const missing = wanted.filter((n) => !(n in ours));
    expect(missing).toEqual([]);
    expect(Client.Query).toBe(pg.Query);
    // and the EventEmitter part
    expect(ours).toBeInstanceOf(EventEmitter);
  });

  it('Client: values before connect are pg’s for the same config', () => {
    const config = {
      host: 'db.example',
      port: 6543,
      user: 'u1',
      database: 'd1',
      password: 'pw',
      plugins: [],
    };
    const ours = new Client(config);
    const theirs = new pg.Client(config);
    for (const k of ['host', 'port', 'user', 'database', 'password', 'ssl', 'binary', 'processID'] as const) {
      expect((ours as unknown as Record<string, unknown>)[k], k).toEqual(
        (theirs as unknown as Record<string, unknown>)[k],
      );
    }
    expect(ours.getTransactionStatus()).toBe(theirs.getTransactionStatus());
    expect(ours.connection).toBeDefined();
    expect(Object.keys(ours)).not.toContain('password');
  });

  it('Client keeps a non-enumerable password (as pg-pool and Knex pass it)', () => {
    const config = { host: 'db.example', user: 'u', plugins: [] };
    Object.defineProperty(config, 'password', { value: 's3cret', enumerable: false });
    const ours = new Client(config);
    expect(ours.password).toBe('s3cret');
  });

  it('Pool: a pg.Pool whose clients are ours, with every member of pg.Pool', () => {
    const pool = new Pool({ plugins: [], max: 3 });
    expect(pool).toBeInstanceOf(pg.Pool);
    expect((pool as unknown as { Client: unknown }).Client).toBe(Client);
    const sample = new pg.Pool();
    const wanted = [...protoMembers(pg.Pool), ...Object.getOwnPropertyNames(sample)];
    expect(wanted.filter((n) => !(n in pool))).toEqual([]);
    expect(pool.options.max).toBe(3);
    void sample.end();
    void pool.end();
  });

  it('Pool keeps options.Client when given one', () => {
    class Mine extends Client {}
    const pool = new Pool({ Client: Mine as never, plugins: [] });
    expect((pool as unknown as { Client: unknown }).Client).toBe(Mine);
    void pool.end();
  });
});
