/**
 * Superuser access to one PostgreSQL instance through its private unix socket (never through
 * the fault proxy or DNS): short-lived connections, readiness polling.
 */
import pg from 'pg';

export const ADMIN_USER = 'aurora_admin';

export async function withAdmin<T>(
  socketDir: string,
  port: number,
  database: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: socketDir,
    port,
    user: ADMIN_USER,
    database,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  socketDir: string,
  port: number,
  sql: string,
  database = 'postgres',
): Promise<R[]> {
  return withAdmin(socketDir, port, database, async (c) => (await c.query<R>(sql)).rows);
}

/** Bounded pause inside an awaited start-up (ref'd: the caller is waiting on it). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until the server accepts connections; `isAlive` false aborts early (the process died). */
export async function waitReady(
  socketDir: string,
  port: number,
  isAlive: () => boolean,
  timeoutMs = 30_000,
  what = 'postgres',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${what} exited during start-up`);
    try {
      await adminQuery(socketDir, port, 'SELECT 1');
      return;
    } catch (err) {
      lastError = err;
      await sleep(40);
    }
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

/** `X/Y` LSN text → comparable bigint. */
export function lsnToBigInt(lsn: string | null | undefined): bigint {
  if (!lsn) return -1n;
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}
