/**
 * IAM logins enforced by the MySQL metadata proxy (issue 22): the IAM user is switched to
 * mysql_clear_password over TLS, its token verified, and the proxy logs in upstream with the
 * real password; refusals are MariaDB's own ERR 1045 / 28000 and never carry the token; other
 * users' logins are unchanged. Through a real TLS cluster: a MetadataProxy with `iam` set is
 * put in front of the writer (its upstream leg is TLS to the cluster's own proxy), with a
 * verifier that accepts one known token. Then the same through `startCluster({ iam: true })`
 * with a token from the real @aws-sdk/rds-signer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { Signer } from '@aws-sdk/rds-signer';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { MetadataProxy, type MetadataProxyOptions } from '../../src/emulator/mysql/metadata-proxy.js';
import {
  buildHandshakeResponse,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  framePacket,
  nativePasswordResponse,
  parseHandshakeResponse,
  type HandshakeResponse,
} from '../../src/emulator/mysql/mysql-iam-handshake.js';
import type { MysqlIamLogin } from '../../src/emulator/mysql/mysql-iam-login.js';
import { IamLoginSession } from '../../src/emulator/mysql/mysql-iam-session.js';
import { createClusterCertificates } from '../../src/emulator/tls/certificates.js';
import { mysqlConfig, startTestCluster, useCluster } from '../support/cluster.js';

/** Tokens about the size of a real one (~600+ characters), distinctive enough to search for. */
const GOOD_TOKEN = `good-token-${randomBytes(300).toString('hex')}`;
const WRONG_TOKEN = `wrong-token-${randomBytes(300).toString('hex')}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Every way a token could leak out of an error: message, each property (own and stack), inspect. */
function expectNoToken(err: unknown): void {
  const e = err as Record<string, unknown>;
  const texts = [String(e.message), String(e.stack), inspect(err, { depth: 5, showHidden: true })];
  for (const key of Object.getOwnPropertyNames(err)) texts.push(inspect(e[key], { depth: 5 }));
  for (const text of texts) {
    expect(text).not.toContain(GOOD_TOKEN);
    expect(text).not.toContain(WRONG_TOKEN);
    expect(text).not.toContain('token-');
  }
}

describe('MySQL metadata proxy with iam', () => {
  let cluster: EmulatedCluster;
  let dir: string;
  let proxyCa: string;
  const proxies: MetadataProxy[] = [];
  const verified: { token: string; port: number }[] = [];
  /** The proxy whose IAM user is the cluster's test user. */
  let iamPort: number;
  /** A proxy whose IAM user does not exist in the engine (other users pass through it). */
  let otherPort: number;
  /** Like iamPort, but the proxy serves no TLS at all. */
  let plainPort: number;
  let iamUser: string;

  async function startProxy(iam: MysqlIamLogin, withTls: boolean): Promise<number> {
    const writer = cluster.instances().find((i) => i.role === 'writer')!;
    const port = await freePort();
    const options: MetadataProxyOptions = {
      listenAddress: '127.0.0.1',
      listenPort: port,
      upstreamAddress: writer.address,
      upstreamPort: cluster.writerEndpoint.port,
      rewrite: undefined,
      ...(withTls
        ? {
            tls: {
              certFile: join(dir, 'server.pem'),
              keyFile: join(dir, 'server.key'),
              caFile: join(dir, 'cluster-ca.pem'),
            },
          }
        : {}),
      iam,
    };
    const proxy = new MetadataProxy(options);
    proxies.push(proxy);
    await proxy.listen();
    return port;
  }

  function verifier(user: string, upstreamPassword: string): MysqlIamLogin {
    return {
      user,
      upstreamPassword,
      verify(token, port) {
        verified.push({ token, port });
        return token === GOOD_TOKEN ? { ok: true } : { ok: false, reason: 'bad-signature' };
      },
    };
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ engine: 'mysql', instances: 1, tls: true });
    dir = await mkdtemp(join(tmpdir(), 'aurora-ha-iam-proxy-'));
    const certs = await createClusterCertificates(dir, 'iam-proxy.test');
    proxyCa = certs.ca.cert;
    await writeFile(join(dir, 'server.pem'), certs.server.cert);
    await writeFile(join(dir, 'server.key'), certs.server.key, { mode: 0o600 });
    await writeFile(join(dir, 'cluster-ca.pem'), cluster.tls!.ca);
    iamUser = cluster.credentials.user;
    iamPort = await startProxy(verifier(iamUser, cluster.credentials.password), true);
    otherPort = await startProxy(verifier('iam_only_user', 'not-a-real-password'), true);
    plainPort = await startProxy(verifier(iamUser, cluster.credentials.password), false);
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function iamConfig(port: number, password: string, user = iamUser): mysql.ConnectionOptions {
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      database: cluster.credentials.database,
      ssl: { ca: proxyCa },
      enableCleartextPlugin: true,
      connectTimeout: 10_000,
    };
  }

  it('the good token logs in as the IAM user; the connection then behaves normally', async () => {
    verified.length = 0;
    const conn = await mysql.createConnection(iamConfig(iamPort, GOOD_TOKEN));
    try {
      expect(verified).toEqual([{ token: GOOD_TOKEN, port: iamPort }]);
      const [who] = (await conn.query('SELECT CURRENT_USER() AS u, DATABASE() AS db')) as [
        { u: string; db: string }[],
        unknown,
      ];
      expect(who[0]).toEqual({ u: `${iamUser}@%`, db: cluster.credentials.database });
      const [cipher] = (await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as [
        { Value: string }[],
        unknown,
      ];
      expect(cipher[0]!.Value).not.toBe(''); // the leg to the engine is TLS too
      const [prepared] = (await conn.execute('SELECT ? + 1 AS n', [41])) as [{ n: number }[], unknown];
      expect(Number(prepared[0]!.n)).toBe(42);
      const [again] = (await conn.execute('SELECT ? + 1 AS n', [1])) as [{ n: number }[], unknown];
      expect(Number(again[0]!.n)).toBe(2);
      await conn.query('CREATE TABLE IF NOT EXISTS iam_proxy_t (id INT PRIMARY KEY)');
      await conn.query('REPLACE INTO iam_proxy_t VALUES (1)');
      const [rows] = (await conn.query('SELECT COUNT(*) AS c FROM iam_proxy_t')) as [
        { c: number }[],
        unknown,
      ];
      expect(Number(rows[0]!.c)).toBe(1);
      await conn.ping();
    } finally {
      await conn.end();
    }
  });

  it('a wrong token is ERR 1045 / 28000 with MySQL text, and the token is nowhere in the error', async () => {
    verified.length = 0;
    const err = await rejection(mysql.createConnection(iamConfig(iamPort, WRONG_TOKEN)));
    expect(verified).toEqual([{ token: WRONG_TOKEN, port: iamPort }]);
    expect(err.errno).toBe(1045);
    expect(err.code).toBe('ER_ACCESS_DENIED_ERROR');
    expect(err.sqlState).toBe('28000');
    expect(err.message).toBe(`Access denied for user '${iamUser}'@'127.0.0.1' (using password: YES)`);
    expectNoToken(err);
  });

  it('the real password is not a token: the IAM user logs in with tokens only', async () => {
    const err = await rejection(mysql.createConnection(iamConfig(iamPort, cluster.credentials.password)));
    expect(err.errno).toBe(1045);
    expect(err.message).not.toContain(cluster.credentials.password);
  });

  it('without TLS the IAM user is refused with 1045 before any token is asked for', async () => {
    verified.length = 0;
    const config = iamConfig(iamPort, GOOD_TOKEN);
    delete config.ssl;
    const err = await rejection(mysql.createConnection(config));
    expect(err.errno).toBe(1045);
    expect(err.sqlState).toBe('28000');
    expectNoToken(err);
    // a proxy that serves no TLS at all refuses the IAM user the same way
    const plain = iamConfig(plainPort, GOOD_TOKEN);
    delete plain.ssl;
    const plainErr = await rejection(mysql.createConnection(plain));
    expect(plainErr.errno).toBe(1045);
    expectNoToken(plainErr);
    expect(verified).toEqual([]);
  });

  it('mysql2 sends the token only with enableCleartextPlugin (or authPlugins.mysql_clear_password)', async () => {
    const config = iamConfig(iamPort, GOOD_TOKEN);
    delete config.enableCleartextPlugin;
    const err = await rejection(mysql.createConnection(config));
    expect(err.code).toBe('MYSQL_CLEAR_PASSWORD_NOT_ENABLED');
    expectNoToken(err);
    // a custom plugin is the other way, and what aurora-ha's iam plugin uses
    const viaPlugin = await mysql.createConnection({
      ...config,
      password: 'not-the-token',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${GOOD_TOKEN}\0`) },
    });
    const [who] = (await viaPlugin.query('SELECT CURRENT_USER() AS u')) as [{ u: string }[], unknown];
    expect(who[0]!.u).toBe(`${iamUser}@%`);
    await viaPlugin.end();
  });

  it("other users' logins are unchanged through a proxy with iam", async () => {
    verified.length = 0;
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: otherPort,
      user: cluster.credentials.user,
      password: cluster.credentials.password,
      database: cluster.credentials.database,
      ssl: { ca: proxyCa },
      connectTimeout: 10_000,
    });
    try {
      const [who] = (await conn.query('SELECT CURRENT_USER() AS u')) as [{ u: string }[], unknown];
      expect(who[0]!.u).toBe(`${cluster.credentials.user}@%`);
      const [prepared] = (await conn.execute('SELECT ? AS v', ['x'])) as [{ v: string }[], unknown];
      expect(prepared[0]!.v).toBe('x');
    } finally {
      await conn.end();
    }
    // a wrong password stays the engine's own refusal
    const err = await rejection(
      mysql.createConnection({
        host: '127.0.0.1',
        port: otherPort,
        user: cluster.credentials.user,
        password: 'wrong',
        ssl: { ca: proxyCa },
        connectTimeout: 10_000,
      }),
    );
    expect(err.errno).toBe(1045);
    expect(verified).toEqual([]);
  });

  it("an accepted token whose upstream login fails gets the engine's own 1045", async () => {
    const err = await rejection(mysql.createConnection(iamConfig(otherPort, GOOD_TOKEN, 'iam_only_user')));
    expect(err.errno).toBe(1045);
    expect(err.sqlState).toBe('28000');
    expect(err.message).toMatch(/^Access denied for user 'iam_only_user'@/);
    expectNoToken(err);
    expect(inspect(err)).not.toContain('not-a-real-password');
  });

  it('many IAM logins at once each get their own session', async () => {
    const conns = await Promise.all(
      Array.from({ length: 8 }, () => mysql.createConnection(iamConfig(iamPort, GOOD_TOKEN))),
    );
    try {
      const ids = await Promise.all(
        conns.map(async (c) => {
          const [r] = (await c.query('SELECT CONNECTION_ID() AS id')) as [{ id: number }[], unknown];
          return r[0]!.id;
        }),
      );
      expect(new Set(ids).size).toBe(8);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});

describe('HandshakeResponse41 parsing and rebuilding', () => {
  function response(caps: number): Buffer {
    const fixed = Buffer.alloc(32);
    fixed.writeUInt32LE(caps, 0);
    fixed.writeUInt32LE(0xffffff, 4);
    fixed[8] = 224;
    fixed[28] = 7; // MariaDB extended capabilities live in the filler: kept byte for byte
    const auth = Buffer.alloc(20, 0xab);
    const attrs = Buffer.from([0x0a, 3, ...Buffer.from('_os'), 5, ...Buffer.from('linux')]);
    return Buffer.concat([
      fixed,
      Buffer.from('iam_user\0'),
      Buffer.from([20]), // a 1-byte length and a 1-byte length-encoded integer look the same below 251
      auth,
      Buffer.from('mydb\0'),
      Buffer.from('mysql_native_password\0'),
      attrs,
    ]);
  }

  it('keeps capabilities, schema and connection attributes, swapping only the auth response and plugin', () => {
    for (const lenenc of [false, true]) {
      const caps =
        CLIENT_PROTOCOL_41 |
        CLIENT_SECURE_CONNECTION |
        CLIENT_CONNECT_WITH_DB |
        CLIENT_PLUGIN_AUTH |
        0x0010_0000 |
        (lenenc ? CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA : 0);
      const original = response(caps);
      const parsed = parseHandshakeResponse(original)!;
      expect(parsed.user).toBe('iam_user');
      expect(parsed.database?.toString()).toBe('mydb');
      expect(parsed.plugin).toBe('mysql_native_password');
      expect(buildHandshakeResponse(parsed, parsed.authResponse, parsed.plugin!)).toEqual(original);
      const swapped = parseHandshakeResponse(
        buildHandshakeResponse(parsed, Buffer.from('xyz'), 'mysql_clear_password'),
      )!;
      expect(swapped.authResponse.toString()).toBe('xyz');
      expect(swapped.plugin).toBe('mysql_clear_password');
      expect(swapped.rest).toEqual(parsed.rest);
      expect(swapped.fixed).toEqual(parsed.fixed);
      expect(swapped.database).toEqual(parsed.database);
    }
  });

  it("mysql_native_password answers what mysql2's own implementation does", () => {
    const require = createRequire(import.meta.url);
    // not an export of the package: loaded by path
    const auth41 = require(join(dirname(require.resolve('mysql2')), 'lib', 'auth_41.js')) as {
      calculateToken(password: string, scramble1: Buffer, scramble2: Buffer): Buffer;
    };
    const scramble = randomBytes(20);
    expect(nativePasswordResponse('s3cret-ü', scramble)).toEqual(
      auth41.calculateToken('s3cret-ü', scramble.subarray(0, 8), scramble.subarray(8)),
    );
    expect(nativePasswordResponse('', scramble)).toEqual(Buffer.alloc(0));
  });
});

describe('startCluster({ engine: mysql, tls: true, iam: true }) with the real @aws-sdk/rds-signer', () => {
  const cluster = useCluster({ engine: 'mysql', instances: 2, tls: true, iam: true });

  async function signed(c: EmulatedCluster, hostname: string, username = c.iamUser!): Promise<string> {
    const aws = c.aws!;
    const signer = new Signer({
      hostname,
      port: c.writerEndpoint.port,
      username,
      region: aws.region,
      credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    });
    return signer.getAuthToken();
  }

  it('a signed token logs the IAM user in on every name of the cluster; a token for another DBUser is 1045', async () => {
    const c = cluster();
    const names = [c.writerEndpoint.host, c.readerEndpoint.host, ...c.instances().map((i) => i.host)];
    for (const host of names) {
      const conn = await mysql.createConnection({
        ...mysqlConfig(c, host),
        user: c.iamUser!,
        password: await signed(c, host),
        enableCleartextPlugin: true,
      });
      try {
        const [rows] = (await conn.query('SELECT CURRENT_USER() AS u, @@aurora_server_id AS id')) as [
          { u: string; id: string }[],
          unknown,
        ];
        expect(rows[0]!.u).toBe(`${c.iamUser!}@%`);
        const [n] = (await conn.execute('SELECT ? + 1 AS n', [1])) as [{ n: number }[], unknown];
        expect(Number(n[0]!.n)).toBe(2);
      } finally {
        await conn.end();
      }
    }
    expect(c.iamStats().accepted).toBe(names.length);

    const other = await signed(c, c.writerEndpoint.host, c.credentials.user);
    const err = await rejection(
      mysql.createConnection({
        ...mysqlConfig(c),
        user: c.iamUser!,
        password: other,
        enableCleartextPlugin: true,
      }),
    );
    expect(err.errno).toBe(1045);
    expect(err.sqlState).toBe('28000');
    expect(inspect(err, { showHidden: true })).not.toContain(other);
    expect(JSON.stringify(err)).not.toContain(other);
    // the test user's password login is unchanged
    const conn = await mysql.createConnection(mysqlConfig(c));
    await conn.end();
  });

  it('after a failover and on a reader added later, IAM logins keep working', async () => {
    const c = cluster();
    const { newWriter } = await c.failover();
    await c.settled();
    const added = await c.addReader();
    for (const host of [c.writerEndpoint.host, added.host]) {
      const conn = await mysql.createConnection({
        ...mysqlConfig(c, host),
        user: c.iamUser!,
        password: await signed(c, host),
        enableCleartextPlugin: true,
      });
      try {
        const [rows] = (await conn.query('SELECT CURRENT_USER() AS u, @@aurora_server_id AS id')) as [
          { u: string; id: string }[],
          unknown,
        ];
        expect(rows[0]!.u).toBe(`${c.iamUser!}@%`);
        expect(rows[0]!.id).toBe(host === added.host ? added.id : newWriter);
      } finally {
        await conn.end();
      }
    }
  });
});

describe('IamLoginSession (the exchange on its own, no sockets)', () => {
  const scramble = Buffer.alloc(20, 7);
  const iam: MysqlIamLogin = {
    user: 'iam_user',
    upstreamPassword: 'real-password',
    verify: (token) => (token === GOOD_TOKEN ? { ok: true } : { ok: false, reason: 'bad-signature' }),
  };

  function login(plugin: string, auth: Buffer): HandshakeResponse {
    const fixed = Buffer.alloc(32);
    fixed.writeUInt32LE(
      CLIENT_PROTOCOL_41 |
        CLIENT_SECURE_CONNECTION |
        CLIENT_PLUGIN_AUTH |
        CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
      0,
    );
    const payload = Buffer.concat([
      fixed,
      Buffer.from('iam_user\0'),
      Buffer.from([auth.length < 251 ? auth.length : 0xfc]),
      ...(auth.length < 251 ? [] : [Buffer.from([auth.length & 0xff, auth.length >> 8])]),
      auth,
      Buffer.from(`${plugin}\0`),
    ]);
    return parseHandshakeResponse(payload)!;
  }

  function run(hs: HandshakeResponse): {
    session: IamLoginSession;
    toClient: Buffer[];
    toUpstream: Buffer[];
    refused: Buffer[];
    done: boolean[];
  } {
    const out = {
      toClient: [] as Buffer[],
      toUpstream: [] as Buffer[],
      refused: [] as Buffer[],
      done: [] as boolean[],
    };
    const session = new IamLoginSession({
      iam,
      port: 3306,
      greeting: { scramble, plugin: 'mysql_native_password' },
      login: hs,
      loginSeq: 2,
      clientHost: '127.0.0.1',
      io: {
        toClient: (b) => out.toClient.push(b),
        toUpstream: (b) => out.toUpstream.push(b),
        refuse: (b) => out.refused.push(b),
        loggedIn: () => out.done.push(true),
      },
    });
    session.start();
    return { session, ...out };
  }

  it('answers an upstream AuthSwitchRequest to mysql_native_password and renumbers the OK for the client', () => {
    const r = run(login('mysql_native_password', Buffer.alloc(20)));
    expect(r.toClient[0]![3]).toBe(3); // AuthSwitchRequest to the client
    expect(r.toClient[0]!.subarray(4, 26).toString('latin1')).toBe('\xfemysql_clear_password\0');
    r.session.fromClient(framePacket(4, Buffer.from(`${GOOD_TOKEN}\0`)));
    expect(r.toUpstream[0]![3]).toBe(2); // the rebuilt HandshakeResponse keeps the client's sequence id
    const newScramble = Buffer.alloc(20, 9);
    r.session.fromUpstream(
      framePacket(
        3,
        Buffer.concat([Buffer.from('\xfemysql_native_password\0', 'latin1'), newScramble, Buffer.alloc(1)]),
      ),
    );
    expect(r.toUpstream[1]).toEqual(framePacket(4, nativePasswordResponse('real-password', newScramble)));
    r.session.fromUpstream(framePacket(5, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
    expect(r.toClient[1]).toEqual(framePacket(5, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
    expect(r.done).toEqual([true]);
    expect(r.refused).toEqual([]);
  });

  it('an upstream plugin the proxy does not speak is 1045 to the client', () => {
    const r = run(login('mysql_native_password', Buffer.alloc(20)));
    r.session.fromClient(framePacket(4, Buffer.from(`${GOOD_TOKEN}\0`)));
    r.session.fromUpstream(framePacket(3, Buffer.from('\xfeclient_ed25519\0abc\0', 'latin1')));
    expect(r.refused).toHaveLength(1);
    expect(r.refused[0]![3]).toBe(5);
    expect(r.refused[0]!.readUInt16LE(5)).toBe(1045);
    expect(r.done).toEqual([]);
  });

  it('a client that already sent the token with mysql_clear_password is not switched', () => {
    const r = run(login('mysql_clear_password', Buffer.from(`${GOOD_TOKEN}\0`)));
    expect(r.toClient).toEqual([]);
    expect(r.toUpstream).toHaveLength(1);
    const rebuilt = parseHandshakeResponse(r.toUpstream[0]!.subarray(4))!;
    expect(rebuilt.plugin).toBe('mysql_native_password');
    expect(rebuilt.authResponse).toEqual(nativePasswordResponse('real-password', scramble));
    r.session.fromUpstream(framePacket(3, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
    expect(r.toClient[0]![3]).toBe(3);
    const refused = run(login('mysql_clear_password', Buffer.from(`${WRONG_TOKEN}\0`)));
    expect(refused.refused[0]![3]).toBe(3);
    expect(refused.refused[0]!.toString('latin1')).not.toContain('token');
  });
});
