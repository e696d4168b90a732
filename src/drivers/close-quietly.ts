/**
 * Closing a physical connection that is no longer wanted, the one way every layer does it:
 * gracefully when the socket may still be alive, abort otherwise; never rejects.
 */
import type { PhysicalConnection } from './driver.js';

/** Close gracefully when the socket may still be alive, abort otherwise; never rejects. */
export async function closeQuietly(conn: PhysicalConnection): Promise<void> {
  try {
    if (conn.closed) {
      conn.abort();
      return;
    }
    await conn.close();
  } catch {
    conn.abort();
  }
}
