/**
 * A MySQL-protocol server that is not MySQL (a mock built on mysql2's own `createServer`,
 * whose handshake version is not a version number) through `aurora-ha/mysql2` with the default
 * plugins: no dialect probe reaches it (it would answer any query, or close on one), the user's
 * own query is the only one it receives, and the result is mysql2's. Issue 10, item 7.
 */
import type { AddressInfo } from 'node:net';
import rawMysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import mysql from '../../src/mysql2.js';
import mysqlPromise from '../../src/mysql2-promise.js';
import type { PoolConnection } from '../../src/mysql2.js';

/** mysql2's client capability flags without COMPRESS (0x20) and SSL (0x800). */
const FLAGS = 0xffffff ^ 0x20 ^ 0x800;

const COLUMN = {
  catalog: 'def',
  schema: '',
  table: '',
  orgTable: '',
  name: 'x',
  orgName: '',
  characterSet: 63,
  columnLength: 1,
  columnType: 8,
  flags: 129,
  decimals: 0,
};

interface MockConnection {
  serverHandshake(options: Record<string, unknown>): void;
  on(event: 'query', listener: (sql: string) => void): void;
  on(event: 'error', listener: () => void): void;
  writeTextResult(rows: Record<string, unknown>[], columns: Record<string, unknown>[]): void;
  stream: { end(): void };
}

interface MockServer {
  on(event: 'connection', listener: (conn: MockConnection) => void): void;
  listen(port: number, cb: () => void): void;
  close(): void;
  _server: { address(): AddressInfo };
}

interface Mock {
  port: number;
  seen: string[];
  /** Server side of every client connection, in order. */
  sessions: MockConnection[];
  close(): void;
}

/** A mock server answering every query with one row `{ x: 1 }`; records what it was asked. */
async function mockServer(serverVersion: string): Promise<Mock> {
  const server = (rawMysql as unknown as { createServer(): MockServer }).createServer();
  const seen: string[] = [];
  const sessions: MockConnection[] = [];
  server.on('connection', (conn) => {
    sessions.push(conn);
    conn.on('error', () => undefined);
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion,
      connectionId: 1234,
      statusFlags: 2,
      characterSet: 8,
      capabilityFlags: FLAGS,
    });
    conn.on('query', (sql) => {
      seen.push(sql);
      conn.writeTextResult([{ x: '1' }], [COLUMN]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return { port: server._server.address().port, seen, sessions, close: () => server.close() };
}

describe('aurora-ha/mysql2 (default plugins) on a mock MySQL-protocol server', () => {
  it('callback connection: only the user query reaches the mock', async () => {
    const mock = await mockServer('node.js rocks');
    try {
      const conn = mysql.createConnection({ host: '127.0.0.1', port: mock.port, user: 'u' });
      // As mysql2: 'connect' carries the handshake packet.
      const handshake = new Promise<unknown>((resolve) => conn.once('connect', resolve));
      const rows = await new Promise<unknown>((resolve, reject) =>
        conn.query('SELECT 1', (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))),
      );
      expect(rows).toEqual([{ x: 1 }]);
      expect(mock.seen).toEqual(['SELECT 1']);
      expect(await handshake).toMatchObject({ serverVersion: 'node.js rocks', connectionId: 1234 });
      conn.destroy();
    } finally {
      mock.close();
    }
  });

  it('promise connection: only the user query reaches the mock', async () => {
    const mock = await mockServer('node.js rocks');
    try {
      const conn = await mysqlPromise.createConnection({ host: '127.0.0.1', port: mock.port, user: 'u' });
      const [rows] = await conn.query('SELECT 2');
      expect(rows).toEqual([{ x: 1 }]);
      expect(mock.seen).toEqual(['SELECT 2']);
      conn.destroy();
    } finally {
      mock.close();
    }
  });

  it('a pooled connection the server closes leaves the pool, as in mysql2 (nothing to fail over to)', async () => {
    const mock = await mockServer('node.js rocks');
    const pool = mysql.createPool({ host: '127.0.0.1', port: mock.port, user: 'u', connectionLimit: 1 });
    try {
      const conn = await new Promise<PoolConnection>((resolve, reject) =>
        pool.getConnection((err, c) => (err || c === undefined ? reject(err) : resolve(c))),
      );
      conn.release();
      expect(pool._allConnections.length).toBe(1);
      const ended = new Promise<void>((resolve) => conn.once('end', () => resolve()));
      mock.sessions[0]!.stream.end();
      await ended;
      expect(pool._allConnections.length).toBe(0);
      // The next call opens a new connection.
      const rows = await new Promise<unknown>((resolve, reject) =>
        pool.query('SELECT 3', (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))),
      );
      expect(rows).toEqual([{ x: 1 }]);
      expect(mock.sessions).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => pool.end(() => resolve()));
      mock.close();
    }
  });
});
