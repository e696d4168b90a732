/**
 * Counts the statements this process sends that are not the bench's own writes — aurora-ha's
 * topology reads, role checks, writer-search re-checks, session restores — with the host they
 * went to and their time. The aurora-ha channels publish connects, not queries, so bench:fleet
 * wraps the drivers' entry points in each attached process: `pg.Client.prototype.query`
 * (aurora-ha's own statements go through it) and mysql2's `Connection.prototype.addCommand`
 * (aurora-ha queues its own statements there directly, past `query()`; only commands carrying
 * SQL count). stop() restores both.
 */
import pg from 'pg';
import mysql from 'mysql2';
import { WRITES_TABLE } from '../failover/write-clients.js';

/** mysql2's Connection prototype with the internal method aurora-ha queues its statements on (untyped). */
interface Mysql2Prototype {
  addCommand: (this: mysql.Connection, ...args: unknown[]) => unknown;
}
const mysqlPrototype = mysql.Connection.prototype as unknown as Mysql2Prototype;

export interface QuerySample {
  host: string;
  t: number;
}

function sqlOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { text?: unknown; sql?: unknown };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.sql === 'string') return o.sql;
  }
  return undefined;
}

export class QueryCounter {
  readonly samples: QuerySample[] = [];
  private readonly pgQuery = pg.Client.prototype.query;
  private readonly mysqlAddCommand = mysqlPrototype.addCommand;

  constructor() {
    const samples = this.samples;
    const record = (sql: string | undefined, host: unknown): void => {
      if (sql === undefined || sql.includes(WRITES_TABLE)) return;
      samples.push({ host: typeof host === 'string' ? host : '?', t: Date.now() });
    };
    const pgQuery = this.pgQuery as (...args: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
      record(sqlOf(args[0]), this.host);
      return pgQuery.apply(this, args);
    } as typeof pg.Client.prototype.query;
    const addCommand = this.mysqlAddCommand;
    mysqlPrototype.addCommand = function (this: mysql.Connection, ...args: unknown[]): unknown {
      record(sqlOf(args[0]), this.config.host);
      return addCommand.apply(this, args);
    };
  }

  stop(): void {
    pg.Client.prototype.query = this.pgQuery;
    mysqlPrototype.addCommand = this.mysqlAddCommand;
  }
}
