// A refused certificate ends a failover search at once (docs/tls.md): the error found through a
// cause chain (and through mysql2's overwritten code), the FailoverFailedError built from it, and
// firstSuccessful stopping every other attempt on it. End to end: test/integration/tls-suite.ts.
import { describe, expect, it } from 'vitest';
import { FailoverFailedError } from '../../src/core/errors.js';
import { rememberOriginalCode } from '../../src/drivers/connection-lost.js';
import { makeHost } from '../../src/drivers/host-info.js';
import {
  certificateErrorIn,
  certificateStop,
  endsFailover,
} from '../../src/plugins/failover-core/certificate-stop.js';
import { firstSuccessful } from '../../src/plugins/failover-core/parallel-attempts.js';

const certError = (): Error & { code: string } =>
  Object.assign(new Error('unable to verify the first certificate'), {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });

describe('certificate stop', () => {
  it('finds the certificate error itself in a cause chain and under a code mysql2 overwrote', () => {
    const inner = certError();
    expect(certificateErrorIn(new Error('wrapped', { cause: new Error('twice', { cause: inner }) }))).toBe(
      inner,
    );
    const mysql = Object.assign(new Error('handshake'), { code: 'HANDSHAKE_SSL_ERROR' });
    rememberOriginalCode(mysql, 'SELF_SIGNED_CERT_IN_CHAIN');
    expect(certificateErrorIn(mysql)).toBe(mysql);
    expect(certificateErrorIn(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
  });

  it('builds the FailoverFailedError naming the host and code, with the certificate error as cause', () => {
    const err = certError();
    const stop = certificateStop(makeHost('db-2.example.com', 5432), new Error('x', { cause: err }));
    expect(stop).toBeInstanceOf(FailoverFailedError);
    expect(stop!.cause).toBe(err);
    expect(stop!.message).toContain('db-2.example.com:5432');
    expect(stop!.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(endsFailover(stop)).toBe(true);
    expect(certificateStop(makeHost('h', 1), new Error('refused'))).toBeUndefined();
  });

  it('firstSuccessful rejects at once with the stop and cancels the attempts still running', async () => {
    const cancelled: string[] = [];
    const stop = certificateStop(makeHost('bad', 1), certError())!;
    const started = Date.now();
    const outcome = firstSuccessful(
      ['slow', 'bad', 'never'],
      2,
      (host, signal) =>
        new Promise<string>((resolve, reject) => {
          if (host === 'bad') {
            reject(stop);
            return;
          }
          const timer = setTimeout(() => resolve(host), 5_000);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            cancelled.push(host);
            reject(new Error('aborted'));
          });
        }),
      new AbortController().signal,
      () => undefined,
    );
    await expect(outcome).rejects.toBe(stop);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(cancelled).toEqual(['slow']);
  });
});
