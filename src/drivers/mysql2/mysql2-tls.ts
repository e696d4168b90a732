/**
 * Keeps Node's own code of a TLS failure on a mysql2 connection. mysql2 reports every failure
 * of its TLS upgrade with `code = 'HANDSHAKE_SSL_ERROR'` written over Node's code on the same
 * error object, so a certificate refused (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`, ...) and a socket reset during the handshake (`ECONNRESET`)
 * would look alike. The connection's `startTLS` is wrapped (this instance only) to record the
 * original code before mysql2 replaces it; classification reads it (`isCertificateError`).
 */
import type { Connection } from 'mysql2';
import { errorCode, rememberOriginalCode } from '../connection-lost.js';

type StartTls = (onSecure: (err?: Error) => void) => void;

export function keepTlsErrorCodes(native: Connection): void {
  const target = native as unknown as { startTLS?: unknown };
  const original = target.startTLS;
  if (typeof original !== 'function') return; // another mysql2 version: classification falls back
  const startTLS: StartTls = (onSecure) => {
    (original as StartTls).call(native, (err) => {
      if (err !== undefined && err !== null) {
        const code = errorCode(err);
        if (code !== undefined) rememberOriginalCode(err, code);
      }
      onSecure(err);
    });
  };
  target.startTLS = startTLS;
}
