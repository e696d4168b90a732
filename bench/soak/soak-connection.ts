/**
 * One soak worker's connection, engine-agnostic: aurora-ha's pg `Client` or mysql2/promise
 * connection, reduced to the statements the workload runs (a ledger insert, a read,
 * transaction begin / commit / rollback) and a bounded end. Host, port, database and the login
 * (auth.ts: password, `iam` or `secretsManager`) come in `options`.
 */
import type { EmulatedCluster } from '../../src/emulator.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { Client } from '../../src/pg.js';
import { mysqlLedgerOps, pgLedgerOps } from './ledger-ops.js';

export interface SoakConnection {
  connect(): Promise<void>;
  insert(key: string, worker: number): Promise<void>;
  read(): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  end(): Promise<void>;
  /** `error` events (socket lost while idle) seen by this connection. */
  idleErrors: number;
}

export function openSoakConnection(
  cluster: EmulatedCluster,
  options: Record<string, unknown>,
): SoakConnection {
  if (cluster.engine === 'postgres') {
    const client = new Client({ connectionTimeoutMillis: 5000, ...options });
    const conn: SoakConnection = {
      idleErrors: 0,
      connect: async () => {
        await client.connect();
      },
      ...pgLedgerOps(client),
      end: () => client.end(),
    };
    client.on('error', () => {
      conn.idleErrors++;
    });
    return conn;
  }
  const mc = new PromiseConnection({ connectTimeout: 5000, ...options });
  const conn: SoakConnection = {
    idleErrors: 0,
    connect: () => mc.connect(),
    ...mysqlLedgerOps(mc),
    end: () => mc.end(),
  };
  mc.on('error', () => {
    conn.idleErrors++;
  });
  return conn;
}
