/**
 * Issue 25: `aurora-ha/emulator/attach` against a stand-in control endpoint (no engines): the
 * names resolve from the pushed table (ESM `--import` and CommonJS `--require`), a dropped
 * connection gives ENOTFOUND at once, the client reconnects with backoff and resolves again,
 * a changed table is seen within 100 ms, a call (attachedCluster()) fails with
 * EMULATOR_DISCONNECTED / EMULATOR_NOT_ATTACHED, and the child exits by itself while attached. Bad
 * `AURORA_HA_EMULATOR` values fail at startup naming the variable; ControlServer.close()
 * leaves no socket and no listener.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseControlAddress } from '../../src/emulator/attach/attach-client.js';
import { ControlServer } from '../../src/emulator/attach/control-server.js';
import { encodeTable, type NameTable } from '../../src/emulator/attach/protocol.js';
import { spawnAttachChild, type AttachFlavor } from '../support/attach-spawn.js';

const DOMAIN = 'attachtest01.us-east-1.rds.amazonaws.com';
const WRITER = `mydb.cluster-${DOMAIN}`;

function tableWith(writer: string | null): NameTable {
  return {
    domain: DOMAIN,
    writerHost: WRITER,
    readerHost: `mydb.cluster-ro-${DOMAIN}`,
    writer,
    readers: [],
    instances: { [`instance-1.${DOMAIN}`]: '127.0.0.9' },
  };
}

/** A stand-in control endpoint: serves `table` (or drops every connection while `refusing`). */
class StandIn {
  readonly sockets = new Set<net.Socket>();
  refusing = false;
  table = tableWith('127.0.0.9');
  private constructor(readonly server: net.Server) {}

  static async start(): Promise<StandIn> {
    const server = net.createServer();
    const standIn = new StandIn(server);
    server.on('connection', (s) => {
      if (standIn.refusing) {
        s.destroy();
        return;
      }
      standIn.sockets.add(s);
      s.on('close', () => standIn.sockets.delete(s));
      s.write(encodeTable(standIn.table));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return standIn;
  }

  get endpoint(): string {
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  push(table: NameTable): void {
    this.table = table;
    for (const s of this.sockets) s.write(encodeTable(table));
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe.each<AttachFlavor>(['esm', 'cjs'])('attach (%s) against a stand-in control endpoint', (flavor) => {
  it('resolves, gives ENOTFOUND once dropped, reconnects, follows a change, exits by itself', async () => {
    const s = (standIn = await StandIn.start());
    const child = spawnAttachChild(flavor, ['commands'], { AURORA_HA_EMULATOR: s.endpoint });
    const send = (line: string): boolean => child.process.stdin.write(`${line}\n`);

    send(`wait ${WRITER} 127.0.0.9`);
    expect((await child.next('waited')).answer, child.transcript()).toBe('127.0.0.9');
    send(`lookup instance-1.${DOMAIN}`);
    const instance = await child.next('lookup');
    expect(instance.promise).toMatchObject({ answer: '127.0.0.9' });
    expect(instance.callback).toMatchObject({ answer: '127.0.0.9' });

    // A call in flight when the connection drops fails with EMULATOR_DISCONNECTED (the
    // stand-in never answers calls).
    send('heal instance-1');
    await new Promise((r) => setTimeout(r, 100));
    // Connection lost and not coming back: the cluster's names fail at once, both ways.
    s.refusing = true;
    s.dropAll();
    expect(await child.next('healed'), child.transcript()).toMatchObject({ code: 'EMULATOR_DISCONNECTED' });
    send(`wait ${WRITER} ENOTFOUND`);
    const gone = await child.next('waited');
    expect(gone.answer, child.transcript()).toBe('ENOTFOUND');
    expect(gone.ms).toBeLessThan(500);
    send(`lookup mydb.cluster-ro-${DOMAIN}`);
    const lost = await child.next('lookup');
    expect(lost.promise).toMatchObject({ answer: 'ENOTFOUND' });
    expect(lost.callback).toMatchObject({ answer: 'ENOTFOUND' });
    expect((lost.promise as { ms: number }).ms).toBeLessThan(100);
    send('heal instance-1');
    expect(await child.next('healed')).toMatchObject({ code: 'EMULATOR_NOT_ATTACHED' });

    // Back: a retry (backoff with jitter, first ones 50–400 ms) gets the table again.
    s.refusing = false;
    send(`wait ${WRITER} 127.0.0.9`);
    const back = await child.next('waited');
    expect(back.answer, child.transcript()).toBe('127.0.0.9');
    expect(back.ms).toBeLessThan(3_000);

    // A pushed change is answered within 100 ms.
    const pushedAt = Date.now();
    s.push(tableWith('127.0.0.10'));
    send(`wait ${WRITER} 127.0.0.10`);
    const changed = await child.next('waited');
    expect(changed.answer).toBe('127.0.0.10');
    expect(Date.now() - pushedAt).toBeLessThan(100 + 50);

    // Still attached (socket open, retries armed): stdin ends, the child ends by itself.
    // (CommonJS here: Node 20 also runs --require preloads in tsx's loader-hooks thread, which
    // attaches too — a second, idle connection, reconnecting on its own schedule; user code
    // never runs there.)
    if (flavor === 'esm') expect(s.sockets.size).toBe(1);
    else expect(s.sockets.size).toBeGreaterThanOrEqual(1);
    child.process.stdin.end();
    expect(await child.exited(), child.transcript()).toBe(0);
  });

  it('a name of a cluster never seen passes to the system resolver; an unreachable endpoint does not hold the process', async () => {
    // A port nothing listens on: the ESM entry waits at most 2 s, then warns and carries on.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const started = Date.now();
    const child = spawnAttachChild(flavor, ['commands'], { AURORA_HA_EMULATOR: `127.0.0.1:${port}` });
    child.process.stdin.write('lookup localhost\n');
    const local = await child.next('lookup');
    expect((local.promise as { answer: string }).answer).toMatch(/^(127\.0\.0\.1|::1)$/);
    child.process.stdin.end();
    expect(await child.exited(), child.transcript()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    if (flavor === 'esm') expect(child.transcript()).toContain('no emulated cluster answered');
  });
});

describe('AURORA_HA_EMULATOR', () => {
  it.each([undefined, '', 'nope', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'host:port'])(
    'parseControlAddress(%j) throws a ConfigurationError naming the variable',
    (value) => {
      const attempt = (): unknown => parseControlAddress(value);
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(/AURORA_HA_EMULATOR/);
    },
  );

  it('parses host:port and [v6]:port', () => {
    expect(parseControlAddress('127.0.0.1:4000')).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(parseControlAddress('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(parseControlAddress('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
  });

  it.each<AttachFlavor>(['esm', 'cjs'])(
    'a malformed value ends the %s child at startup with the error',
    async (flavor) => {
      const started = Date.now();
      const child = spawnAttachChild(flavor, ['commands'], { AURORA_HA_EMULATOR: 'not-an-endpoint' });
      const code = await child.exited(10_000);
      expect(code).not.toBe(0);
      expect(child.transcript()).toMatch(/ConfigurationError: AURORA_HA_EMULATOR must be host:port/);
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );
});

describe('ControlServer', () => {
  const tcpHandles = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

  it('pushes the table on connect and on change only, and close() ends every socket and the listener', async () => {
    const before = tcpHandles();
    let table = tableWith('127.0.0.9');
    const server = await ControlServer.start(
      () => table,
      () => Promise.resolve(null),
    );
    const [host, port] = server.endpoint.split(':');
    const clients = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<{ socket: net.Socket; lines: string[]; closed: Promise<void> }>((resolve) => {
            const socket = net.connect(Number(port), host);
            const lines: string[] = [];
            socket.setEncoding('utf8');
            socket.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
            const closed = new Promise<void>((r) => socket.on('close', () => r()));
            socket.on('connect', () => resolve({ socket, lines, closed }));
          }),
      ),
    );
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
    await settle();
    server.changed(); // nothing changed: nothing sent
    table = tableWith('127.0.0.10');
    server.changed();
    await settle();
    for (const c of clients) {
      expect(c.lines.map((l) => (JSON.parse(l) as NameTable).writer)).toEqual(['127.0.0.9', '127.0.0.10']);
    }
    await server.close();
    await Promise.all(clients.map((c) => c.closed));
    await settle();
    expect(tcpHandles()).toBe(before);
    await expect(
      new Promise((resolve, reject) =>
        net.connect(Number(port), host).on('connect', resolve).on('error', reject),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
