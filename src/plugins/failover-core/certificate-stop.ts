/**
 * A refused certificate ends a failover at once (docs/tls.md, issue 14). It is not a network
 * error: no retry, no backoff and no other instance fixes a certificate the client does not
 * trust (or that names another host), and trying on until failoverTimeoutMs would only hide it
 * behind a timeout. Every connect of a failover search (v1 and v2) turns it into a
 * FailoverFailedError whose `cause` is the certificate error itself; the search code rethrows
 * a FailoverFailedError untouched and stops its other attempts.
 */
import { FailoverFailedError } from '../../core/errors.js';
import { certificateErrorIn, originalErrorCode } from '../../drivers/connection-lost.js';

/** Re-exported: the failover code finds the certificate error where it stops. */
export { certificateErrorIn };
import { hostKey, type HostInfo } from '../../drivers/host-info.js';

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
