/**
 * A refused certificate ends a failover at once (docs/tls.md, issue 14). It is not a network
 * error: no retry, no backoff and no other instance fixes a certificate the client does not
 * trust (or that names another host), and trying on until failoverTimeoutMs would only hide it
 * behind a timeout. Every connect of a failover search (v1 and v2) turns it into a
 * FailoverFailedError whose `cause` is the certificate error itself; the search code rethrows
 * a FailoverFailedError untouched and stops its other attempts.
 */
import { FailoverFailedError } from '../../core/errors.js';
import { CERTIFICATE_ERROR_CODES, originalErrorCode } from '../../drivers/connection-lost.js';
import { hostKey, type HostInfo } from '../../hosts/host-info.js';

/** The certificate error in `err` or in its `cause` chain (a few levels), if any. */
export function certificateErrorIn(err: unknown): unknown {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = originalErrorCode(current);
    if (code !== undefined && CERTIFICATE_ERROR_CODES.has(code)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The FailoverFailedError that ends the failover when `err` is a refused certificate of `host`. */
export function certificateStop(host: HostInfo, err: unknown): FailoverFailedError | undefined {
  const cert = certificateErrorIn(err);
  if (cert === undefined) return undefined;
  const code = originalErrorCode(cert) ?? 'certificate error';
  return new FailoverFailedError(
    `the server certificate of ${hostKey(host)} was refused (${code}); a certificate error ends the failover`,
    { cause: cert },
  );
}

/** Whether an attempt's error ends the whole failover (every other attempt stops). */
export function endsFailover(err: unknown): err is FailoverFailedError {
  return err instanceof FailoverFailedError;
}
