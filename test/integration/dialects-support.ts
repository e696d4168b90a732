/**
 * Helpers shared by the dialect integration tests: open a physical connection to one
 * emulated instance, and count the statements a connection is asked to run.
 */
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { pgAdapter } from '../../src/drivers/pg/pg-adapter.js';
import { mysql2Adapter } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { makeHost } from '../../src/drivers/host-info.js';
import type { EmulatedCluster, InstanceEndpoint } from '../../src/emulator.js';
import { mysqlConfig, pgConfig } from '../support/cluster.js';

export function instanceByRole(c: EmulatedCluster, role: 'writer' | 'reader'): InstanceEndpoint {
  const found = c.instances().find((i) => i.role === role);
  if (!found) throw new Error(`no ${role} instance`);
  return found;
}

export async function connectInstance(
  c: EmulatedCluster,
  inst: InstanceEndpoint,
): Promise<PhysicalConnection> {
  const host = makeHost(inst.host, inst.port);
  return c.engine === 'postgres'
    ? pgAdapter.connect(host, pgConfig(c, inst.host), { timeoutMs: 5000 })
    : mysql2Adapter.connect(host, mysqlConfig(c, inst.host), { timeoutMs: 5000 });
}

/** A connection that delegates to `inner` and records every statement sent through it. */
export function countingConnection(inner: PhysicalConnection): PhysicalConnection & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    host: inner.host,
    native: inner.native,
    get closed() {
      return inner.closed;
    },
    queryRows(sql, timeoutMs) {
      statements.push(sql);
      return inner.queryRows(sql, timeoutMs);
    },
    ...(inner.queryWithColumns
      ? {
          queryWithColumns(sql: string, timeoutMs?: number) {
            statements.push(sql);
            return inner.queryWithColumns!(sql, timeoutMs);
          },
        }
      : {}),
    inTransaction: () => inner.inTransaction(),
    abort: () => inner.abort(),
    close: () => inner.close(),
    onError: (l) => inner.onError(l),
  };
}
