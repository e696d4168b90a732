/**
 * Failover v1 on MariaDB must not move a healthy connection and must follow what the user
 * changed (issue 9). Each case is injected for real on the emulator: a slow query cut by
 * mysql2's per-query `timeout`, and the user's own changes to the session.
 */
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../src/core/errors.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { mysqlConfig } from '../support/cluster.js';
import { FAST_FAILOVER as FAST, failoverHarness, rejection } from '../support/failover-harness.js';

const harness = failoverHarness<PromiseConnection>('mysql', 3);
const { cluster } = harness;

function client(host: string | undefined, options: Record<string, unknown> = {}): PromiseConnection {
  return harness.track(new PromiseConnection({ ...mysqlConfig(cluster(), host), ...FAST, ...options }));
}

async function value(c: PromiseConnection, sql: string): Promise<unknown> {
  const [r] = (await c.query(sql)) as [Record<string, unknown>[], unknown];
  return Object.values(r[0]!)[0];
}

describe('mysql2 per-query timeout is a slow query, not a dead host (item 2)', () => {
  it('the driver error, unchanged; the connection stays on the same instance', async () => {
    const c = client(undefined);
    await c.connect();
    const instance = await value(c, 'SELECT @@aurora_server_id');
    const started = Date.now();
    const err = await rejection(c.query({ sql: 'SELECT SLEEP(3)', timeout: 300 }));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(err).not.toBeInstanceOf(FailoverError);
    expect((err as { code?: string }).code).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
    expect(await value(c, 'SELECT @@aurora_server_id')).toBe(instance);
  });
});
