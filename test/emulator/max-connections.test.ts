/**
 * `maxConnections`: 1,200 plain client connections held open at once on one instance, on
 * PostgreSQL and on MariaDB (the engines' own session counts confirm it), and the option's
 * validation. One instance per cluster: each PostgreSQL session is a process of its own.
 */
import { describe, expect, it } from 'vitest';
import { startCluster, type EmulatedCluster } from '../../src/emulator.js';
import { startTestCluster } from '../support/cluster.js';
import { openSession, type Session } from './fault-sessions.js';

const CLIENTS = 1_200;
/** Connections opened side by side (all stay open): enough to be quick, few enough for a listen backlog. */
const CONCURRENCY = 50;

async function openMany(c: EmulatedCluster, host: string, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      sessions.push(await openSession(c, host, 60_000));
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
  return sessions;
}

const SESSIONS_SQL = {
  postgres:
    "SELECT current_setting('max_connections')::int AS max, (SELECT count(*)::int FROM pg_stat_activity WHERE usename = current_user) AS open",
  mysql:
    "SELECT @@max_connections AS max, (SELECT COUNT(*) FROM information_schema.processlist WHERE user = SUBSTRING_INDEX(CURRENT_USER(), _utf8mb4'@', 1)) AS open",
};

describe.each(['postgres', 'mysql'] as const)('%s emulator: maxConnections', (engine) => {
  it(`holds ${CLIENTS} plain connections open at once with maxConnections: 2000`, async () => {
    const c = await startTestCluster({ engine, instances: 1, maxConnections: 2000 });
    let sessions: Session[] = [];
    try {
      const host = c.writerEndpoint.host;
      sessions = await openMany(c, host, CLIENTS);
      expect(sessions).toHaveLength(CLIENTS);
      // Every one of them works, all at the same time.
      const answers = await Promise.all(sessions.map((s) => s.query('SELECT 1 AS one')));
      expect(answers.every((rows) => Number(rows[0]?.one) === 1)).toBe(true);
      const [row] = await sessions[0]!.query(SESSIONS_SQL[engine]);
      expect(Number(row?.max)).toBe(2000);
      expect(Number(row?.open)).toBe(CLIENTS);
      expect(c.timeline()[0]?.detail).toMatch(/max 2000 connections each/);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
      await c.stop();
    }
  }, 360_000);
});

describe('maxConnections validation', () => {
  it.each([5, 1.5, 200_000])('rejects %s before starting anything', async (maxConnections) => {
    await expect(startCluster({ engine: 'postgres', maxConnections })).rejects.toMatchObject({
      code: 'CONFIGURATION',
      message: expect.stringMatching(/maxConnections must be an integer from 20 to 100000/),
    });
  });
});
