/**
 * A server that speaks the PostgreSQL protocol but is not a standard PostgreSQL (here a mock
 * like node-postgres' gh-issues/3174 test: no BackendKeyData, canned answers): with the default
 * plugins the Client connects with the plain dialect, sends no detection query, caches nothing,
 * and a later socket error is pg's `'error'` event (no failover on a plain dialect).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedDialect } from '../../src/dialects/detect-dialect.js';
import { Client } from '../../src/pg.js';

function msg(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const authOk = msg('R', int32(0));
const ready = msg('Z', Buffer.from('I'));
function rowDescription(): Buffer {
  const field = Buffer.concat([
    cstr('x'),
    int32(0),
    Buffer.from([0, 0]),
    int32(25),
    Buffer.from([0xff, 0xff]),
    int32(-1),
    Buffer.from([0, 0]),
  ]);
  return msg('T', Buffer.concat([Buffer.from([0, 1]), field]));
}
const dataRow = msg('D', Buffer.concat([Buffer.from([0, 1]), int32(2), Buffer.from('ok')]));
const commandComplete = msg('C', cstr('SELECT 1'));

interface Mock {
  port: number;
  queries: string[];
  breakAll(): void;
  close(): Promise<void>;
}

function startMock(): Promise<Mock> {
  const sockets = new Set<net.Socket>();
  const queries: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (data) => {
      if (data.length === 8) return void socket.write('N'); // SSLRequest: no
      if (data[0] === 0) return void socket.write(Buffer.concat([authOk, ready])); // startup
      if (data.toString('latin1', 0, 1) === 'Q') {
        queries.push(data.toString('utf8', 5, data.length - 1));
        socket.write(Buffer.concat([rowDescription(), dataRow, commandComplete, ready]));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        queries,
        breakAll: () => {
          for (const s of sockets) s.write(msg('1', Buffer.alloc(0))); // ParseComplete out of order
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

let mock: Mock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

describe('a PostgreSQL-protocol server that is not a standard PostgreSQL', () => {
  it('connects with the default plugins: plain dialect, no probe, nothing cached, errors are pg’s', async () => {
    mock = await startMock();
    const client = new Client({
      host: '127.0.0.1',
      port: mock.port,
      user: 'u',
      database: 'd',
      connectionTimeoutMillis: 5000,
    });
    const errors: Error[] = [];
    client.on('error', (e: Error) => errors.push(e));
    await client.connect();
    expect(mock.queries).toEqual([]); // no detection query reached the server
    const r = await client.query('SELECT 1');
    expect(r.rows).toEqual([{ x: 'ok' }]);
    expect(mock.queries).toEqual(['SELECT 1']);
    expect(cachedDialect({ host: '127.0.0.1', port: mock.port })).toBeUndefined();
    mock.breakAll();
    await expect.poll(() => errors.length).toBe(1);
    await expect(client.query('SELECT 1')).rejects.toThrow(
      'Client has encountered a connection error and is not queryable',
    );
    await client.end();
  });
});
