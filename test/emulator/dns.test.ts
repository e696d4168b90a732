/**
 * The emulator's in-process DNS: answers only for its own names (all the option shapes
 * net.connect and callers use), passes other names through, serves several clusters at
 * once and restores dns.lookup when the last one stops. Both pg and mysql2 connect through it.
 */
import dns from 'node:dns';
import net from 'node:net';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { registerNames } from '../../src/emulator/dns.js';
import { pgConfig, startTestCluster } from '../support/cluster.js';

function lookupCb(host: string, options: dns.LookupOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    dns.lookup(host, options, (err, address, family) =>
      err ? reject(err) : resolve(options.all ? address : { address, family }),
    );
  });
}

describe('emulator DNS', () => {
  it('answers registered names in every lookup shape and passes others through', async () => {
    const originalLookup = dns.lookup;
    const unregister = registerNames((name) => (name === 'db.example.test' ? '127.9.9.9' : undefined));
    try {
      expect(await lookupCb('db.example.test', {})).toEqual({ address: '127.9.9.9', family: 4 });
      expect(await lookupCb('DB.example.test.', { all: true })).toEqual([
        { address: '127.9.9.9', family: 4 },
      ]);
      expect(await lookupCb('db.example.test', { family: 4, hints: dns.ADDRCONFIG })).toEqual({
        address: '127.9.9.9',
        family: 4,
      });
      await expect(lookupCb('db.example.test', { family: 6 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
      expect(await dns.promises.lookup('db.example.test')).toEqual({ address: '127.9.9.9', family: 4 });
      expect(await dns.promises.lookup('db.example.test', { all: true })).toEqual([
        { address: '127.9.9.9', family: 4 },
      ]);
      // Not ours: the system resolver answers.
      expect((await dns.promises.lookup('localhost', { family: 4 })).address).toBe('127.0.0.1');
      const other = registerNames((name) => (name === 'two.example.test' ? '127.9.9.10' : undefined));
      expect((await dns.promises.lookup('two.example.test')).address).toBe('127.9.9.10');
      other();
      expect(dns.lookup).not.toBe(originalLookup);
    } finally {
      unregister();
    }
    expect(dns.lookup).toBe(originalLookup);
  });

  it('pg connects through the cluster names', async () => {
    const cluster = await startTestCluster({ engine: 'postgres', instances: 1 });
    try {
      const client = new pg.Client(pgConfig(cluster));
      await client.connect();
      expect((await client.query('SELECT pg_catalog.aurora_db_instance_identifier() AS id')).rows).toEqual([
        { id: 'instance-1' },
      ]);
      await client.end();
    } finally {
      await cluster.stop();
    }
  });

  it('mysql2 resolves through the names too (its socket reaches the registered address)', async () => {
    const server = net.createServer((socket) => {
      accepted.push(socket.remoteAddress);
      socket.destroy();
    });
    const accepted: (string | undefined)[] = [];
    await new Promise<void>((resolve) => server.listen({ host: '127.9.9.11', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const unregister = registerNames((name) => (name === 'mysql.example.test' ? '127.9.9.11' : undefined));
    try {
      const err = await mysql
        .createConnection({ host: 'mysql.example.test', port, user: 'x', connectTimeout: 2000 })
        .then(
          async (c) => {
            await c.end();
            return undefined;
          },
          (e: unknown) => e as { code?: string },
        );
      expect(err?.code).not.toBe('ENOTFOUND');
      expect(accepted.length).toBe(1);
    } finally {
      unregister();
      await new Promise((r) => server.close(r));
    }
  });
});
