/**
 * TLS end to end, one body for both engines (tls-pg / tls-mysql give the engine's client):
 * the emulator serves TLS only, and every physical connection aurora-ha opens — initial,
 * reader endpoint, failover v1 and v2, the topology monitor, host-monitoring probes — keeps
 * the user's TLS options with the hostname checked against the name it connects to.
 *
 * The standing check (`SocketAudit`): every socket this process opens to the cluster is
 * captured (`net.Socket.prototype.connect` for the TCP legs, `tls.connect` for the TLS ones). Each TCP leg must have become TLS, or have carried nothing but the TLS
 * request (a connect aborted before the upgrade); each TLS leg that completed its handshake
 * must be `authorized`, created with `rejectUnauthorized` on, and its `servername` must be the
 * name of the instance its socket really reached (or a cluster endpoint). A new connection
 * path is covered by running it inside `audited(...)`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { expect, it } from 'vitest';
import { FailoverFailedError, FailoverSuccessError } from '../../src/core/errors.js';
import {
  CERTIFICATE_ERROR_CODES,
  isCertificateError,
  originalErrorCode,
} from '../../src/drivers/connection-lost.js';
import type { DriverAdapter } from '../../src/drivers/driver.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { hostMonitorStats } from '../../src/plugins/host-monitoring/monitor-registry.js';
import { startTestCluster } from '../support/cluster.js';
import { FAST_FAILOVER, expectNoSessionsLeft, rejection, writerId } from '../support/failover-harness.js';
import { secretLeaks } from '../support/secret-leaks.js';

/** Bytes a TCP leg may carry in clear before its TLS upgrade: PG SSLRequest (8), MySQL SSL request (36). */
const MAX_CLEAR_BYTES = 36;

interface Peer {
  address: string;
  port: number;
}

interface TlsLeg {
  /** Where its TCP socket was connected when the upgrade started. */
  peer: Peer | undefined;
  raw: net.Socket | undefined;
  /** As the driver asked for it (the hostname check runs against it). */
  servername: unknown;
  rejectUnauthorized: unknown;
  secured: boolean;
  authorized: boolean;
}

/** Every TCP and TLS socket this process opens while installed. */
export class SocketAudit {
  /** TCP sockets and where each got connected (read at 'connect': a closed socket forgets it). */
  readonly tcp = new Map<net.Socket, Peer | undefined>();
  readonly tls: TlsLeg[] = [];
  private readonly originalConnect = tls.connect;
  private readonly originalSocketConnect = net.Socket.prototype.connect;

  install(): void {
    // pg opens `new net.Socket()` then `connect()`, mysql2 `net.connect()`: both end here
    const tcp = this.tcp;
    const socketConnect = this.originalSocketConnect;
    const patchedConnect = function (this: net.Socket, ...args: unknown[]): net.Socket {
      if (!tcp.has(this)) {
        tcp.set(this, undefined);
        this.once('connect', () => tcp.set(this, peerOf(this)));
      }
      return (socketConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    };
    net.Socket.prototype.connect = patchedConnect;
    const original = this.originalConnect;
    const patched = (...args: unknown[]): tls.TLSSocket => {
      const socket = (original as (...a: unknown[]) => tls.TLSSocket).apply(tls, args);
      const options = (
        typeof args[0] === 'object' && args[0] !== null ? args[0] : {}
      ) as tls.ConnectionOptions;
      const raw = options.socket as net.Socket | undefined;
      const leg: TlsLeg = {
        peer: raw ? (this.tcp.get(raw) ?? peerOf(raw)) : undefined,
        raw,
        servername: options.servername,
        rejectUnauthorized: options.rejectUnauthorized,
        secured: false,
        authorized: false,
      };
      socket.once('secureConnect', () => {
        leg.secured = true;
        leg.authorized = socket.authorized;
      });
      this.tls.push(leg);
      return socket;
    };
    (tls as { connect: unknown }).connect = patched;
  }

  uninstall(): void {
    net.Socket.prototype.connect = this.originalSocketConnect;
    (tls as { connect: unknown }).connect = this.originalConnect;
  }

  /** The standing check, for the sockets that reached `cluster`'s public addresses. */
  expectAllVerifiedTls(cluster: EmulatedCluster): { tlsLegs: number } {
    const byAddress = new Map(cluster.instances().map((i) => [i.address, i.host]));
    const endpoints = new Set([cluster.writerEndpoint.host, cluster.readerEndpoint.host]);
    const port = cluster.writerEndpoint.port;
    const reached = (p: Peer | undefined): p is Peer =>
      p !== undefined && p.port === port && byAddress.has(p.address);
    const wrapped = new Set(this.tls.map((l) => l.raw));
    const problems: string[] = [];
    let tcpLegs = 0;
    for (const [socket, peer] of this.tcp) {
      if (!reached(peer)) continue;
      tcpLegs++;
      if (!wrapped.has(socket) && socket.bytesWritten > MAX_CLEAR_BYTES)
        problems.push(`plain TCP leg to ${peer.address} carried ${socket.bytesWritten} bytes in clear`);
    }
    const legs = this.tls.filter((l) => reached(l.peer));
    for (const leg of legs) {
      const instanceName = byAddress.get(leg.peer?.address ?? '');
      const where = `${leg.peer?.address ?? '?'} = ${String(instanceName)} (servername ${String(leg.servername)})`;
      if (leg.rejectUnauthorized === false)
        problems.push(`TLS leg to ${where} built with rejectUnauthorized: false`);
      const name = leg.servername;
      if (typeof name !== 'string' || !(name === instanceName || endpoints.has(name)))
        problems.push(`TLS leg to ${where}: servername is not the name of the host it reached`);
      if (!leg.secured) continue; // aborted before its handshake ended: nothing was sent over it
      if (!leg.authorized) problems.push(`TLS leg to ${where} not authorized`);
    }
    expect(problems).toEqual([]);
    // every leg this process opened to the cluster was counted (a capture that sees nothing proves nothing)
    expect(tcpLegs).toBeGreaterThan(0);
    return { tlsLegs: legs.filter((l) => l.secured).length };
  }
}

function peerOf(socket: net.Socket): Peer | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress !== undefined && remotePort !== undefined
    ? { address: remoteAddress, port: remotePort }
    : undefined;
}

/** Run `body` with every socket captured; then the standing check. Returns the number of verified TLS legs. */
export async function audited(cluster: () => EmulatedCluster, body: () => Promise<void>): Promise<number> {
  const audit = new SocketAudit();
  audit.install();
  try {
    await body();
  } finally {
    audit.uninstall();
  }
  return audit.expectAllVerifiedTls(cluster()).tlsLegs;
}

export interface TlsClient {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

export interface TlsEngineOps<C extends TlsClient> {
  readonly engine: 'postgres' | 'mysql';
  /** An aurora-ha client with `ssl` (not connected). */
  make(cluster: EmulatedCluster, host: string | undefined, ssl: unknown, options: Record<string, unknown>): C;
  run(c: C, sql: string): Promise<unknown>;
  instanceId(c: C): Promise<string>;
  /** The driver's `ssl` option trusting `ca` and checking the host name. */
  verifiedSsl(ca: string): unknown;
  /** Sessions of the test user on the instance, and how many of them are not TLS (server side, when the engine can tell). */
  serverSideTls(
    cluster: EmulatedCluster,
    host: string,
  ): Promise<{ sessions: number; plain: number } | undefined>;
  /** aurora-ha's driver adapter of the engine (the connect every plugin uses). */
  readonly adapter: DriverAdapter<never>;
  /** A plain driver config of the test user with `ssl`, for the adapter. */
  driverConfig(cluster: EmulatedCluster, ssl: unknown): never;
  /** Open and close a raw driver connection (no aurora-ha) with `ssl` (undefined = plain). */
  rawConnect(cluster: EmulatedCluster, ssl: unknown): Promise<void>;
}

const ALL_PATHS = { plugins: ['initialConnection', 'failover2'] };

export function tlsSuite<C extends TlsClient>(ops: TlsEngineOps<C>): void {
  let shared: EmulatedCluster | undefined;
  const clients: C[] = [];
  const cluster = (): EmulatedCluster => {
    if (!shared) throw new Error('no cluster');
    return shared;
  };
  const client = (host: string | undefined, options: Record<string, unknown> = {}, ssl?: unknown): C => {
    const c = ops.make(cluster(), host, ssl ?? ops.verifiedSsl(cluster().tls!.ca), {
      ...FAST_FAILOVER,
      ...options,
    });
    clients.push(c);
    return c;
  };
  const endAll = (): Promise<unknown> =>
    Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));

  /**
   * Run `body` on a fresh TLS cluster of its own, audited (unless `audit` is false: for tests
   * that open a refused connection on purpose), then end its clients and check no session is left.
   */
  async function onTlsCluster(instances: number, body: () => Promise<void>, audit = true): Promise<number> {
    shared = await startTestCluster({ engine: ops.engine, instances, tls: true });
    try {
      const run = async (): Promise<void> => {
        await body();
        await endAll();
      };
      const legs = audit ? await audited(cluster, run) : (await run(), 0);
      await expectNoSessionsLeft(cluster());
      return legs;
    } finally {
      await endAll();
      await shared.stop();
      shared = undefined;
    }
  }

  it('connects over verified TLS through the writer and reader endpoints (initialConnection, failover2 monitor, failover v1, an address checked by name), TLS on the server side too', async () => {
    const legs = await onTlsCluster(3, async () => {
      const c = cluster();
      const writer = client(undefined, ALL_PATHS);
      const reader = client(c.readerEndpoint.host, ALL_PATHS);
      const v1 = client(undefined, { plugins: ['failover'] });
      await Promise.all([writer.connect(), reader.connect(), v1.connect()]);
      expect(await ops.instanceId(writer)).toBe(writerId(c));
      expect(await ops.instanceId(reader)).not.toBe(writerId(c));
      await ops.run(v1, 'SELECT 1');
      // connecting to an instance's address while checking its name (ConnectOptions.tlsServerName)
      const inst = c.instances()[1]!;
      const conn = await ops.adapter.connect(
        makeHost(inst.address, inst.port),
        ops.driverConfig(c, ops.verifiedSsl(c.tls!.ca)),
        { timeoutMs: 5_000, tlsServerName: inst.host },
      );
      expect(await conn.queryRows('SELECT 1')).toHaveLength(1);
      await conn.close();
      for (const inst of c.instances()) {
        const server = await ops.serverSideTls(c, inst.host);
        if (server) expect(server.plain).toBe(0);
      }
    });
    expect(legs).toBeGreaterThanOrEqual(5);
  });

  for (const plugin of ['failover', 'failover2'] as const) {
    it(`writer failover (${plugin}) lands on the new writer over verified TLS`, async () => {
      await onTlsCluster(3, async () => {
        const c = cluster();
        const a = client(undefined, { plugins: [plugin] });
        await a.connect();
        const old = await ops.instanceId(a);
        const { newWriter } = await c.failover();
        expect(newWriter).not.toBe(old);
        const err = await rejection(ops.run(a, 'SELECT 1'));
        expect(err).toBeInstanceOf(FailoverSuccessError);
        expect(await ops.instanceId(a)).toBe(newWriter);
        const server = await ops.serverSideTls(c, c.instances().find((i) => i.id === newWriter)!.host);
        if (server) {
          expect(server.sessions).toBeGreaterThan(0);
          expect(server.plain).toBe(0);
        }
      });
    });

    it(`a failover (${plugin}) onto a target with a bad certificate ends at once in FailoverFailedError caused by the certificate error, never a downgrade or a retry loop`, async () => {
      await onTlsCluster(2, async () => {
        const c = cluster();
        const target = c.instances().find((i) => i.role === 'reader')!.id;
        // a long failoverTimeoutMs: ending well before it shows the certificate error stopped the search
        const a = client(undefined, { plugins: [plugin], failoverTimeoutMs: 30_000 });
        await a.connect();
        await c.tls!.serveBadCertificate(target);
        await c.failover({ target });
        const started = Date.now();
        const err = await rejection(ops.run(a, 'SELECT 1'));
        const elapsed = Date.now() - started;
        // the socket audit (around this body) shows no leg to the target was accepted or plain
        expect(err).toBeInstanceOf(FailoverFailedError);
        const cause = (err as FailoverFailedError).cause;
        // the cause is the certificate error itself (Node's code), not the error that started the failover
        expect(CERTIFICATE_ERROR_CODES.has(originalErrorCode(cause) ?? '')).toBe(true);
        expect(isCertificateError(cause)).toBe(true);
        expect((err as Error).message).toContain('certificate');
        expect(elapsed).toBeLessThan(10_000);
        expect(secretLeaks(err, c.credentials.password)).toEqual([]);
        // the connection stays failed: the next call starts no other search
        expect(await rejection(ops.run(a, 'SELECT 1'))).toBeInstanceOf(FailoverFailedError);
        await c.tls!.serveGoodCertificate(target);
      });
    });
  }

  it('host monitoring probes over verified TLS by the monitored connection name (tlsServerName); a refused probe certificate counts as an answer, counted and warned once', async () => {
    const sleepSql = (s: number): string =>
      ops.engine === 'postgres' ? `SELECT pg_sleep(${s})` : `SELECT SLEEP(${s})`;
    // probes start 100 ms into a call, each bounded by 1.5 s; aborting a call takes 3 failed probes
    // (> 4.6 s), longer than any call here: no call is cut, whatever the machine load
    const monitoring = {
      plugins: ['failover', 'hostMonitoring'],
      failureDetectionTimeMs: 100,
      failureDetectionIntervalMs: 1_500,
      failureDetectionCount: 3,
    };
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      await onTlsCluster(2, async () => {
        const c = cluster();
        const reader = c.instances().find((i) => i.role === 'reader')!;
        // one through the writer endpoint (a cluster name), one to an instance name
        const viaEndpoint = client(undefined, monitoring);
        const viaInstance = client(reader.host, monitoring);
        await Promise.all([viaEndpoint.connect(), viaInstance.connect()]);
        let sawProbeConnected = false;
        const watch = setInterval(() => {
          if (hostMonitorStats().some((m) => m.probeConnected)) sawProbeConnected = true;
        }, 25);
        watch.unref();
        try {
          await Promise.all([ops.run(viaEndpoint, sleepSql(2.5)), ops.run(viaInstance, sleepSql(2.5))]);
        } finally {
          clearInterval(watch);
        }
        const good = hostMonitorStats();
        expect(good).toHaveLength(2);
        for (const m of good) {
          expect(m.probesSent).toBeGreaterThanOrEqual(1);
          expect(m.probeCertificateErrors).toBe(0);
          expect(m.detections).toBe(0);
        }
        // a probe connection got through its verified handshake (its TLS leg is in the audit)
        expect(sawProbeConnected).toBe(true);

        // The writer serves a bad certificate to new sessions: the open session keeps working,
        // the probe's new connection is refused (verification kept) and the host counts as answering.
        const writer = c.instances().find((i) => i.id === writerId(c))!;
        // The probe connection of the first calls closes once its loop sees nothing overdue (up to
        // one interval later); a call that starts before that would be probed over the already
        // verified session. This part is about a *new* probe connection meeting a bad certificate.
        const closedBy = Date.now() + 10_000;
        while (hostMonitorStats().some((m) => m.probeConnected) && Date.now() < closedBy)
          await new Promise((r) => setTimeout(r, 50));
        expect(hostMonitorStats().some((m) => m.probeConnected)).toBe(false);
        await c.tls!.serveBadCertificate(writer.id);
        try {
          await ops.run(viaEndpoint, sleepSql(2.5));
          const onWriter = hostMonitorStats().find((m) => m.key.includes(`|${writer.address}|`));
          expect(onWriter).toBeDefined();
          expect(onWriter!.probeCertificateErrors).toBeGreaterThanOrEqual(1);
          expect(onWriter!.probesFailed).toBe(0);
          expect(onWriter!.detections).toBe(0);
          expect(await ops.instanceId(viaEndpoint)).toBe(writer.id);
          const reported = warnings.filter(
            (w) => (w as Error & { code?: string }).code === 'AURORA_HA_PROBE_CERTIFICATE',
          );
          expect(reported).toHaveLength(1);
          expect(secretLeaks(reported[0], c.credentials.password)).toEqual([]);
        } finally {
          await c.tls!.serveGoodCertificate(writer.id);
        }
      });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a connection to an address with the wrong tlsServerName is refused with a certificate error', async () => {
    await onTlsCluster(
      1,
      async () => {
        const c = cluster();
        const inst = c.instances()[0]!;
        const err = await rejection(
          ops.adapter.connect(
            makeHost(inst.address, inst.port),
            ops.driverConfig(c, ops.verifiedSsl(c.tls!.ca)),
            {
              timeoutMs: 5_000,
              tlsServerName: 'somewhere-else.example.com',
            },
          ),
        );
        expect(isCertificateError(err)).toBe(true);
        expect(ops.adapter.classify(err)).not.toBe('network');
      },
      false,
    );
  });

  it('a client without the CA fails at connect with the driver certificate error (typed, no password, no retry); a plain client is refused', async () => {
    await onTlsCluster(
      1,
      async () => {
        const c = cluster();
        const untrusting = client(
          undefined,
          { plugins: ['initialConnection', 'failover'] },
          { rejectUnauthorized: true },
        );
        const started = Date.now();
        const err = await rejection(untrusting.connect());
        expect(isCertificateError(err)).toBe(true);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(secretLeaks(err, c.credentials.password)).toEqual([]);
        const plain = await rejection(ops.rawConnect(c, undefined));
        expect(plain).toBeInstanceOf(Error);
        expect(secretLeaks(plain, c.credentials.password)).toEqual([]);
        // with the CA, the raw driver connects
        await ops.rawConnect(c, ops.verifiedSsl(c.tls!.ca));
      },
      false,
    );
  });
}
