/**
 * `_closing` of an aurora-ha/mysql2 connection whose socket was lost while idle (found by
 * test/integration/orm-replicas-mysql.test.ts): mysql2's flag means "end() or destroy() was
 * called". It read true as soon as the native socket was closing, even when aurora-ha would move
 * the connection at its next call. Sequelize's mysql `disconnect()` skips `end()` for a
 * connection already `_closing`, so Sequelize dropped such connections without ending them: each
 * kept its reference on the cluster's topology monitor, whose socket to the cluster then stayed
 * open (ref'd) for good — the process could not exit by itself.
 *
 * Now: lost while idle and recoverable → `_closing` false (a pool's validation still sees the
 * destroyed `stream`, and ends it); `end()` → `_closing` true; after Sequelize's disconnect rule
 * the monitor is gone within its linger.
 */
import { describe, expect, it } from 'vitest';
import mysql from '../../src/mysql2.js';
import { MONITOR_LINGER_MS, liveMonitorKeys } from '../../src/topology/topology-monitors.js';
import { mysqlConfig, useCluster } from '../support/cluster.js';

const cluster = useCluster({ engine: 'mysql', instances: 2 });

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25).unref());
  }
  return true;
}

describe('aurora-ha/mysql2: _closing of a connection lost while idle', () => {
  it('is false while the next call will move it, true after end(); the monitor is released', async () => {
    const c = cluster();
    const conn = mysql.createConnection({ ...mysqlConfig(c, c.readerEndpoint.host) });
    const reader = await new Promise<string>((resolve, reject) =>
      conn.query('SELECT @@aurora_server_id AS id', (err: Error | null, rows: unknown) => {
        if (err) reject(err);
        else resolve(String((rows as { id: unknown }[])[0]!.id));
      }),
    );
    expect(c.instances().find((i) => i.id === reader)?.role).toBe('reader');
    expect(liveMonitorKeys().length).toBeGreaterThan(0);

    await c.crash(reader);
    expect(await waitFor(() => conn.lostWhileIdle(), 10_000), 'the reader crash closed the socket').toBe(
      true,
    );
    // What Sequelize's and Knex's validate() read besides _closing: the pool still drops it.
    expect((conn as unknown as { stream: { destroyed: boolean } }).stream.destroyed).toBe(true);
    expect(conn._closing, 'recoverable loss: not closing').toBe(false);

    // Sequelize's mysql disconnect(): `if (connection._closing) return; connection.end(cb)`.
    if (!conn._closing) await new Promise<void>((resolve) => conn.end(() => resolve()));
    expect(conn._closing).toBe(true);
    expect(
      await waitFor(() => liveMonitorKeys().length === 0, MONITOR_LINGER_MS + 4_000),
      `monitors still live: ${liveMonitorKeys().join(', ')}`,
    ).toBe(true);
    await c.reboot(reader);
  }, 60_000);
});
