/**
 * `aurora-ha/pg` Client against a real PostgreSQL (the emulator, Aurora flavour): results,
 * types, parameter binding, driver errors, callback and promise forms, events, submittables,
 * with `plugins: []` and with the default plugins. Every result and error is compared with
 * what a raw `pg.Client` returns for the same call.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/core/errors.js';
import type { Plugin, PluginFactory } from '../../src/connection/plugin.js';
import { liveClusterCount } from '../../src/topology/topology-cache.js';
import auroraPg, { Client, DatabaseError, types, escapeIdentifier } from '../../src/pg.js';
import { pgConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'postgres', instances: 1 });

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('module shape', () => {
  it('re-exports pg module members and a default export with the same members', () => {
    expect(types).toBe(pg.types);
    expect(DatabaseError).toBe(pg.DatabaseError);
    expect(auroraPg.defaults).toBe(pg.defaults);
    expect(auroraPg.Query).toBe(pg.Query);
    expect(auroraPg.Client).toBe(Client);
    expect(escapeIdentifier('a"b')).toBe('"a""b"');
  });
});

describe.each([
  ['plugins: []', { plugins: [] as string[] }],
  ['default plugins', {}],
])('Client with %s', (_label, options) => {
  let client: Client;
  let raw: pg.Client;

  beforeAll(async () => {
    client = new Client({ ...pgConfig(cluster()), ...options });
    raw = new pg.Client(pgConfig(cluster()));
    await Promise.all([client.connect(), raw.connect()]);
  });

  afterAll(async () => {
    await Promise.all([client.end(), raw.end()]);
  });

  it('returns the same result as pg for a parameterised query', async () => {
    const sql = 'SELECT $1::int + 1 AS n, $2::text AS t, now()::date AS d, $3::numeric AS num';
    const params = [41, 'x', '1.50'];
    const [ours, theirs] = await Promise.all([client.query(sql, params), raw.query(sql, params)]);
    expect(ours.rows).toEqual(theirs.rows);
    expect(ours.rows[0]).toMatchObject({ n: 42, t: 'x', num: '1.50' });
    expect(ours.fields).toEqual(theirs.fields);
    expect(ours.command).toBe('SELECT');
    expect(ours.rowCount).toBe(1);
    expect(ours).toBeInstanceOf(theirs.constructor);
  });

  it('passes query configs through: rowMode array, named statements, custom type parsers', async () => {
    const arr = await client.query({
      text: 'SELECT 1::int AS a, $1::text AS b',
      values: ['z'],
      rowMode: 'array',
    });
    expect(arr.rows).toEqual([[1, 'z']]);
    const named = { name: 'aurora-ha-named', text: 'SELECT $1::int * 2 AS v', values: [21] };
    expect((await client.query(named)).rows).toEqual([{ v: 42 }]);
    expect((await client.query({ ...named, values: [5] })).rows).toEqual([{ v: 10 }]);
    const int4: number = pg.types.builtins.INT4;
    const custom = {
      getTypeParser: (oid: number, format?: string) =>
        oid === int4 ? (v: string) => `int4:${v}` : pg.types.getTypeParser(oid, format as 'text'),
    };
    const parsed = await client.query({ text: 'SELECT 7::int AS i, 8::bigint AS b', types: custom });
    expect(parsed.rows).toEqual([{ i: 'int4:7', b: '8' }]);
  });

  it('passes pg errors through unchanged (class, SQLSTATE, fields)', async () => {
    const sql = 'SELECT * FROM no_such_table_aurora_ha';
    const [ours, theirs] = await Promise.all([rejection(client.query(sql)), rejection(raw.query(sql))]);
    expect(ours).toBeInstanceOf(pg.DatabaseError);
    expect((ours as pg.DatabaseError).code).toBe('42P01');
    const pick = (e: unknown): Record<string, unknown> => {
      const d = e as pg.DatabaseError;
      return {
        message: d.message,
        code: d.code,
        severity: d.severity,
        position: d.position,
        routine: d.routine,
      };
    };
    expect(pick(ours)).toEqual(pick(theirs));
    // The connection is still usable after an SQL error.
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('supports callback forms', async () => {
    const viaText = await new Promise<unknown>((resolve, reject) =>
      client.query('SELECT 3 AS three', (err, r) => (err ? reject(err) : resolve(r?.rows))),
    );
    expect(viaText).toEqual([{ three: 3 }]);
    const viaValues = await new Promise<unknown>((resolve, reject) =>
      client.query('SELECT $1::int AS v', [9], (err, r) => (err ? reject(err) : resolve(r?.rows))),
    );
    expect(viaValues).toEqual([{ v: 9 }]);
    const err = await new Promise<unknown>((resolve) => client.query('SELEC 1', (e) => resolve(e)));
    expect(err).toBeInstanceOf(pg.DatabaseError);
    expect((err as pg.DatabaseError).code).toBe('42601');
  });

  it("hears 'drain' from a listener added in the query's callback, as pg does", async () => {
    // node-postgres' error-handling test "cannot pass non-string values to query as text" adds
    // its 'drain' listener in a callback; pg calls that callback before it drains, the pipeline
    // calls it after. A drain nobody heard is passed to the listener added before the next call.
    interface Drains {
      query(sql: string, cb: () => void): unknown;
      once(event: 'drain', listener: () => void): unknown;
    }
    const hears = (c: Drains): Promise<string> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve('no drain within 2 s'), 2000);
        c.query('SELECT 1', () => {
          c.once('drain', () => {
            clearTimeout(timer);
            resolve('drain');
          });
        });
      });
    expect(await hears(raw)).toBe('drain');
    expect(await hears(client)).toBe('drain');
    // pg's own test: a rejected query config, then an invalid one, then the listener.
    const invalid = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no drain within 2 s'), 2000);
      client.query({ text: {} as unknown as string }, () => {
        client.query({} as unknown as string, () => {
          client.on('drain', function once(this: Client) {
            clearTimeout(timer);
            this.off('drain', once);
            resolve('drain');
          });
        });
      });
    });
    expect(invalid).toBe('drain');
  });

  it('keeps transactions on one physical connection', async () => {
    await client.query('CREATE TEMP TABLE IF NOT EXISTS tx_probe (v int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO tx_probe VALUES (1)');
    await client.query('ROLLBACK');
    expect((await client.query('SELECT count(*)::int AS c FROM tx_probe')).rows).toEqual([{ c: 0 }]);
  });

  it('forwards notices and notifications', async () => {
    const notice = new Promise<unknown>((resolve) => client.once('notice', resolve));
    await client.query("DO $$ BEGIN RAISE NOTICE 'hello from aurora-ha'; END $$");
    expect((await notice) as { message?: string }).toMatchObject({ message: 'hello from aurora-ha' });
    const notification = new Promise<unknown>((resolve) => client.once('notification', resolve));
    await client.query('LISTEN aurora_ha_chan');
    await raw.query("NOTIFY aurora_ha_chan, 'payload-1'");
    expect(await notification).toMatchObject({ channel: 'aurora_ha_chan', payload: 'payload-1' });
    await client.query('UNLISTEN aurora_ha_chan');
  });

  it('sends submittables straight to the native client', async () => {
    const rows = await new Promise<unknown>((resolve, reject) => {
      const q = new pg.Query('SELECT 5 AS five', [], (err: Error | undefined, r: { rows: unknown[] }) =>
        err ? reject(err) : resolve(r.rows),
      );
      const returned = client.query(q);
      expect(returned).toBe(q);
    });
    expect(rows).toEqual([{ five: 5 }]);
  });

  it('escapes identifiers and literals like pg', () => {
    expect(client.escapeIdentifier('we"ird')).toBe(raw.escapeIdentifier('we"ird'));
    expect(client.escapeLiteral("it's")).toBe(raw.escapeLiteral("it's"));
  });
});

describe('Client lifecycle', () => {
  it('connects and ends with callbacks, emits end once, then rejects calls with ConnectionClosedError', async () => {
    const client = new Client({ ...pgConfig(cluster()), plugins: [] });
    await new Promise<void>((resolve, reject) => client.connect((err) => (err ? reject(err) : resolve())));
    let ends = 0;
    client.on('end', () => ends++);
    expect((await client.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    await new Promise<void>((resolve, reject) => client.end((err) => (err ? reject(err) : resolve())));
    await client.end(); // idempotent
    expect(ends).toBe(1);
    expect(await rejection(client.query('SELECT 1'))).toBeInstanceOf(ConnectionClosedError);
  });

  it('runs queries issued before connect() finished', async () => {
    const client = new Client({ ...pgConfig(cluster()) });
    const connecting = client.connect();
    const early = client.query('SELECT 11 AS early');
    await connecting;
    expect((await early).rows).toEqual([{ early: 11 }]);
    await client.end();
  });

  it('fails connect with the driver error and releases everything', async () => {
    const before = liveClusterCount();
    const client = new Client({ ...pgConfig(cluster()), password: 'wrong-password' });
    const err = await rejection(client.connect());
    expect(liveClusterCount()).toBe(before);
    expect(err).toBeInstanceOf(pg.DatabaseError);
    expect((err as pg.DatabaseError).code).toBe('28P01');
    expect(String((err as Error).message)).not.toContain('wrong-password');
  });

  it('composes the pipelines once per connection, whatever the number of calls', async () => {
    let created = 0;
    const seen = new Set<unknown>();
    const counting: PluginFactory = {
      code: 'counting',
      aliases: [],
      weight: 1,
      create: (): Plugin => {
        created++;
        return {
          code: 'counting',
          subscribes: ['query'],
          execute(method, run, next) {
            seen.add(next);
            return next(method, run);
          },
        };
      },
    };
    const client = new Client(pgConfig(cluster()), [counting]);
    await client.connect();
    for (let i = 0; i < 20; i++) await client.query('SELECT $1::int AS i', [i]);
    expect(created).toBe(1);
    expect(seen.size).toBe(1); // the same precomposed `next` every call
    await client.end();
  });
});
