/**
 * Which certificate an engine endpoint serves right now: opens a connection, asks for TLS the
 * way the engine's protocol does (PostgreSQL SSLRequest, MySQL SSL request packet after the
 * greeting), completes the handshake without trusting anything, and returns the peer
 * certificate's SHA-256 fingerprint. Used to know when a certificate reload has taken effect.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { EmulatedEngine } from '../engine.js';

const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_SECURE_CONNECTION = 0x8000;

/** The MySQL SSL request packet (sequence 1): capabilities, max packet, charset, 23 zero bytes. */
function mysqlSslRequest(): Buffer {
  const packet = Buffer.alloc(4 + 32);
  packet.writeUIntLE(32, 0, 3);
  packet[3] = 1;
  packet.writeUInt32LE(CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION, 4);
  packet.writeUInt32LE(16 * 1024 * 1024, 8);
  packet[12] = 45; // utf8mb4_general_ci
  return packet;
}

/** SHA-256 fingerprint (as Node prints it) of a PEM certificate. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** The fingerprint of the certificate `address:port` serves to a new session; rejects after `timeoutMs`. */
export function servedCertificate(
  engine: EmulatedEngine,
  address: string,
  port: number,
  timeoutMs = 5_000,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    let secure: tls.TLSSocket | undefined;
    const timer = setTimeout(
      () => fail(new Error(`no TLS handshake with ${address}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      secure?.destroy();
      socket.destroy();
    };
    const fail = (err: Error): void => {
      done();
      reject(err);
    };
    const upgrade = (): void => {
      socket.removeAllListeners('data');
      // Nothing is trusted here: only the fingerprint of what is served is read.
      secure = tls.connect({ socket, rejectUnauthorized: false }, () => {
        const fingerprint = secure?.getPeerCertificate().fingerprint256;
        done();
        if (typeof fingerprint === 'string' && fingerprint !== '') resolve(fingerprint);
        else reject(new Error(`${address}:${port} sent no certificate`));
      });
      secure.on('error', fail);
    };
    socket.on('error', fail);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (engine === 'postgres') {
        if (received[0] === 0x53)
          upgrade(); // 'S'
        else fail(new Error(`${address}:${port} refused TLS`));
        return;
      }
      if (received.length < 4 || received.length < 4 + received.readUIntLE(0, 3)) return;
      if (received[4] === 0xff) {
        fail(new Error(`${address}:${port} answered the greeting with an error`));
        return;
      }
      socket.write(mysqlSslRequest());
      upgrade();
    });
    if (engine === 'postgres') socket.write(PG_SSL_REQUEST);
  });
}

/** Resolves once `address:port` serves the certificate `pem` to new sessions; throws after `timeoutMs`. */
export async function waitServing(
  engine: EmulatedEngine,
  address: string,
  port: number,
  pem: string,
  timeoutMs = 15_000,
): Promise<void> {
  const want = fingerprintOf(pem);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = await servedCertificate(engine, address, port);
      if (last === want) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(
        `${address}:${port} does not serve the new certificate after ${timeoutMs} ms (${last})`,
      );
    await new Promise((r) => setTimeout(r, 50).unref());
  }
}
