/**
 * Administrative SQL on one mariadbd, as root over its private unix socket (root exists only
 * as root@localhost, so it is unreachable over TCP).
 */
import mysql from 'mysql2/promise';

export type AdminConnection = mysql.Connection;

/** Open a root connection on `socket`, run `fn`, always close. */
export async function withAdmin<T>(socket: string, fn: (conn: AdminConnection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({
    socketPath: socket,
    user: 'root',
    password: '',
    connectTimeout: 5_000,
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  conn.on('error', () => {
    // a server crash while idle: the next call fails on its own
  });
  try {
    return await fn(conn);
  } finally {
    conn.destroy();
  }
}

/** Run one statement, return its rows (objects keyed by column name). */
export async function adminQuery(
  socket: string,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  return withAdmin(socket, async (conn) => {
    const [rows] = await conn.query(sql, params);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  });
}
