/**
 * The soak's ledger statements (insert a uniquely keyed row, read, transaction control) on one
 * connection of either engine, written once for the connection workers and the pool workers.
 */
import { LEDGER_TABLE } from './ledger.js';

export interface LedgerOps {
  insert(key: string, worker: number): Promise<void>;
  read(): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A pg Client or a pooled client. */
interface PgQueryable {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

/** A mysql2/promise connection or pooled connection. */
interface MysqlQueryable {
  query(sql: string): Promise<unknown>;
  execute(sql: string, values: unknown[]): Promise<unknown>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export function pgLedgerOps(c: PgQueryable): LedgerOps {
  return {
    insert: async (key, worker) => {
      await c.query(`INSERT INTO ${LEDGER_TABLE} (k, worker) VALUES ($1, $2)`, [key, worker]);
    },
    read: async () => {
      await c.query(`SELECT count(*) FROM ${LEDGER_TABLE} WHERE worker = -1`);
    },
    begin: async () => {
      await c.query('BEGIN');
    },
    commit: async () => {
      await c.query('COMMIT');
    },
    rollback: async () => {
      await c.query('ROLLBACK');
    },
  };
}

export function mysqlLedgerOps(c: MysqlQueryable): LedgerOps {
  return {
    insert: async (key, worker) => {
      await c.execute(`INSERT INTO ${LEDGER_TABLE} (k, worker) VALUES (?, ?)`, [key, worker]);
    },
    read: async () => {
      await c.query(`SELECT COUNT(*) FROM ${LEDGER_TABLE} WHERE worker = -1`);
    },
    begin: () => c.beginTransaction(),
    commit: () => c.commit(),
    rollback: () => c.rollback(),
  };
}
