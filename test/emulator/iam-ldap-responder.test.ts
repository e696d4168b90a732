/**
 * The emulator's LDAP simple-bind responder (src/emulator/postgres/ldap-responder.ts) and the
 * IAM gate's throttle and counters (src/emulator/iam/iam-gate.ts), without an engine: binds
 * answered success / invalidCredentials, unbind closes, any other operation, SASL or version 2
 * is a protocolError, oversized and malformed messages close the socket, idle sockets are
 * closed, close() destroys every socket.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IamGate } from '../../src/emulator/iam/iam-gate.js';
import { LdapResponder } from '../../src/emulator/postgres/ldap-responder.js';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value]);
}
function message(id: number, op: Buffer): Buffer {
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), op]));
}
function bind(id: number, dn: string, password: string, version = 3, authTag = 0x80): Buffer {
  return message(
    id,
    tlv(
      0x60,
      Buffer.concat([
        tlv(0x02, Buffer.from([version])),
        tlv(0x04, Buffer.from(dn)),
        tlv(authTag, Buffer.from(password)),
      ]),
    ),
  );
}
const UNBIND = message(9, Buffer.from([0x42, 0x00]));
/** A SearchRequest-tagged op ([APPLICATION 3]), its content irrelevant. */
const SEARCH = message(2, tlv(0x63, Buffer.from([0x04, 0x00])));

/** Parse responses: [messageId, op tag, resultCode] each. */
function responses(buf: Buffer): [number, number, number][] {
  const out: [number, number, number][] = [];
  let pos = 0;
  const readLen = (at: number): [number, number] => {
    const b = buf[at]!;
    if (b < 0x80) return [b, at + 1];
    const n = b & 0x7f;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[at + 1 + i]!;
    return [v, at + 1 + n];
  };
  while (pos < buf.length) {
    const [seqLen, seqStart] = readLen(pos + 1);
    const [idLen, idStart] = readLen(seqStart + 1);
    let id = 0;
    for (let i = 0; i < idLen; i++) id = id * 256 + buf[idStart + i]!;
    const opAt = idStart + idLen;
    const [, opStart] = readLen(opAt + 1);
    const [, codeStart] = readLen(opStart + 1);
    out.push([id, buf[opAt]!, buf[codeStart]!]);
    pos = seqStart + seqLen;
  }
  return out;
}

/** Send `chunks`, collect everything until the server closes (or `waitMs` passes). */
function exchange(port: number, chunks: Buffer[], waitMs = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data: Buffer.concat(got), closed: false });
    }, waitMs);
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(got), closed: true });
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

describe('LDAP simple-bind responder', () => {
  let responder: LdapResponder | undefined;
  afterEach(async () => {
    await responder?.close();
  });

  async function start(
    options: { maxMessageBytes?: number; idleTimeoutMs?: number } = {},
  ): Promise<LdapResponder> {
    const seen: string[] = [];
    responder = await LdapResponder.start({
      verify: (dn, password) => {
        seen.push(dn);
        return dn === 'u@instance-1' && password === 'right';
      },
      ...options,
    });
    return responder;
  }

  it('answers success (0) or invalidCredentials (49) per bind, in order, and closes on unbind', async () => {
    const r = await start();
    const bytes = Buffer.concat([bind(1, 'u@instance-1', 'right'), bind(2, 'u@instance-1', 'wrong'), UNBIND]);
    // split across writes mid-message, as TCP may deliver it
    const { data, closed } = await exchange(r.port, [
      bytes.subarray(0, 7),
      bytes.subarray(7, 30),
      bytes.subarray(30),
    ]);
    expect(closed).toBe(true);
    expect(responses(data)).toEqual([
      [1, 0x61, 0],
      [2, 0x61, 49],
    ]);
  });

  it('SASL or LDAP v2 binds get protocolError (2); another operation gets a notice of disconnection; both close', async () => {
    const r = await start();
    const sasl = await exchange(r.port, [bind(3, 'u@instance-1', 'right', 3, 0xa3)]);
    expect(sasl.closed).toBe(true);
    expect(responses(sasl.data)).toEqual([[3, 0x61, 2]]);
    const v2 = await exchange(r.port, [bind(4, 'u@instance-1', 'right', 2)]);
    expect(responses(v2.data)).toEqual([[4, 0x61, 2]]);
    const search = await exchange(r.port, [SEARCH]);
    expect(search.closed).toBe(true);
    expect(responses(search.data)).toEqual([[0, 0x78, 2]]);
  });

  it('an oversized or malformed message closes the socket', async () => {
    const r = await start({ maxMessageBytes: 256 });
    const big = await exchange(r.port, [bind(5, 'u@instance-1', 'x'.repeat(400))]);
    expect(big.closed).toBe(true);
    expect(responses(big.data)).toEqual([[0, 0x78, 2]]);
    const garbage = await exchange(r.port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    expect(garbage.closed).toBe(true);
    const indefinite = await exchange(r.port, [Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01])]);
    expect(indefinite.closed).toBe(true);
  });

  it('closes idle sockets, and close() destroys open ones', async () => {
    const r = await start({ idleTimeoutMs: 200 });
    const idle = await exchange(r.port, [], 3000);
    expect(idle.closed).toBe(true);
    const r2 = await LdapResponder.start({ verify: () => true });
    try {
      const socket = net.connect(r2.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((res) => socket.once('connect', res));
      const closed = new Promise((res) => socket.once('close', res));
      while (r2.connections === 0) await new Promise((res) => setTimeout(res, 10));
      await r2.close();
      await closed;
      expect(r2.connections).toBe(0);
    } finally {
      await r2.close();
    }
  });
});

describe('IAM gate', () => {
  const target = { port: 5432, hostNames: () => ['a.example'] };
  const ok = () => ({ ok: true as const });

  it('throttles new logins per second and counts accepted, refused by reason and throttled', () => {
    let now = 10_000;
    const gate = new IamGate({
      account: {},
      user: 'iam',
      ttlMs: 900_000,
      loginsPerSecond: 2,
      verify: (token) => (token === 'good' ? ok() : { ok: false, reason: 'bad-signature', detail: '' }),
      now: () => now,
    });
    expect(gate.check('good', 'iam', 5432).ok).toBe(false); // not attached yet
    gate.attach(target);
    expect(gate.check('good', 'iam', 5432).ok).toBe(true);
    expect(gate.check('bad', 'iam', 5432)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(gate.check('good', 'iam', 5432)).toEqual({ ok: false, reason: 'throttled' });
    now += 1000;
    expect(gate.check('good', 'iam', 5432).ok).toBe(true);
    expect(gate.check('good', 'other', 5432)).toEqual({ ok: false, reason: 'wrong-user' });
    now += 1000;
    expect(gate.check('good', 'iam', 5433)).toEqual({ ok: false, reason: 'wrong-port' });
    expect(gate.stats()).toEqual({
      accepted: 2,
      refused: { 'not-ready': 1, 'bad-signature': 1, 'wrong-user': 1, 'wrong-port': 1 },
      refusedTotal: 4,
      throttled: 1,
    });
  });

  it('passes the verifier the cluster names, its port, the user, the account and the TTL', () => {
    const seen: unknown[] = [];
    const account = { id: 'acct' };
    const gate = new IamGate({
      account,
      user: 'iam',
      ttlMs: 1234,
      loginsPerSecond: undefined,
      verify: (_t, expect) => {
        seen.push(expect);
        return ok();
      },
      now: () => 42,
    });
    gate.attach(target);
    for (let i = 0; i < 100; i++) expect(gate.check('t', 'iam', 5432).ok).toBe(true);
    expect(seen[0]).toEqual({
      hostNames: ['a.example'],
      port: 5432,
      user: 'iam',
      account,
      maxAgeMs: 1234,
      now: 42,
    });
  });
});
