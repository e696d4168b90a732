/**
 * Is a read-only error (PG 25006, MySQL 1290/1836) a demoted writer, or the user's own doing
 * (`SET TRANSACTION READ ONLY`, `default_transaction_read_only`, MySQL's `secure_file_priv`)
 * on a healthy writer? Only the instance can say (ARCHITECTURE.md › The role check after a read-only error): ask it "am I the writer?"
 * through a connection that can answer — the failing connection itself when it still accepts
 * queries, otherwise (a failed PG transaction answers everything with 25P02) a short-lived
 * separate connection to the same instance. Only a definite "not the writer" starts a
 * failover; a check that cannot conclude (timeout, error, unreachable) is not such an answer.
 */
import type { PluginService } from '../../connection/plugin.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import type { HostInfo, HostRole } from '../../drivers/host-info.js';
import { withTimeout } from '../../core/time.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import { runInternal } from '../../observe/internal-work.js';

/**
 * Resolves true only when the instance behind `conn` answered that it is not the writer.
 * `instance` is the topology entry of that instance when known (a cluster endpoint hides it).
 * Never rejects. The user's connection is never aborted by the check (a slow answer only
 * bounds how long the user waits for the original error).
 */
export async function confirmedNotWriter(
  service: PluginService,
  conn: PhysicalConnection,
  instance: HostInfo | undefined,
  timeoutMs: number,
): Promise<boolean> {
  try {
    // One bound for the whole check (a separate connection's connect + query included).
    const role = await withTimeout(roleOf(service, conn, instance, timeoutMs), timeoutMs, 'role check');
    return role === 'reader';
  } catch {
    return false;
  }
}

async function roleOf(
  service: PluginService,
  conn: PhysicalConnection,
  instance: HostInfo | undefined,
  timeoutMs: number,
): Promise<HostRole> {
  // Inside a transaction, a separate connection: a PostgreSQL error aborts the transaction
  // (25P02 for every later query), and pg reports the failed state only with the
  // ReadyForQuery that may still be on its way when the error reaches us.
  if (conn.acceptsQueries?.() === true && !conn.inTransaction()) {
    return withTimeout(service.hostRole(conn), timeoutMs, 'role check');
  }
  const probe = await runInternal(() => service.forceConnect(instance ?? conn.host, { timeoutMs }));
  try {
    return await withTimeout(service.hostRole(probe), timeoutMs, 'role check', undefined, () =>
      probe.abort(),
    );
  } finally {
    // In the background: the answer is in, a slow close must not delay the failover.
    void closeQuietly(probe);
  }
}
