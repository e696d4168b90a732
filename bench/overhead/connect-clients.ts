/**
 * The clients the connect row of the overhead benchmark opens (connect-child.ts): the raw
 * driver, aurora-ha with the default plugins (no `plugins` option) and aurora-ha with
 * `plugins: ['failover2']`, each through the writer cluster endpoint as users connect, with a
 * generous connect timeout (CONNECT_TIMEOUT_MS) so that a burst of simultaneous connects is
 * slowed, not failed, by a busy machine.
 */
import rawMysql from 'mysql2/promise';
import pg from 'pg';
import { builtMysql2Promise, builtPg } from './built-package.js';
import type { BenchClient } from './variants.js';

export type ConnectKind = 'raw' | 'default plugins' | "['failover2']";
export const CONNECT_KINDS: readonly ConnectKind[] = ['raw', 'default plugins', "['failover2']"];

/** Bound on one connect (driver) and on initialConnection's retries. */
export const CONNECT_TIMEOUT_MS = 60_000;

export interface ConnectTarget {
  readonly engine: 'postgres' | 'mysql';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** aurora-ha's own options of `kind` (none for raw). */
function auroraOptions(kind: ConnectKind): Record<string, unknown> {
  if (kind === "['failover2']") return { plugins: ['failover2'] };
  return { openConnectionRetryTimeoutMs: CONNECT_TIMEOUT_MS };
}

function report(kind: ConnectKind): (err: Error) => void {
  return (err) => console.error(`${kind} connection: ${err.message}`);
}

/** A function opening one connected client of `kind` to `target`. */
export function opener(target: ConnectTarget, kind: ConnectKind): () => Promise<BenchClient> {
  const { engine, ...address } = target;
  if (engine === 'postgres') {
    const config = { ...address, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
    return async () => {
      if (kind === 'raw') {
        const raw = new pg.Client(config);
        raw.on('error', report(kind));
        await raw.connect();
        return { query: (sql) => raw.query(sql), end: () => raw.end() };
      }
      const c = new builtPg.Client({ ...config, ...auroraOptions(kind) });
      c.on('error', report(kind));
      await c.connect();
      return { query: (sql) => c.query(sql), end: () => c.end() };
    };
  }
  const config = { ...address, connectTimeout: CONNECT_TIMEOUT_MS };
  return async () => {
    const c =
      kind === 'raw'
        ? await rawMysql.createConnection(config)
        : await builtMysql2Promise.createConnection({ ...config, ...auroraOptions(kind) });
    c.on('error', report(kind));
    return { query: (sql) => c.query(sql), end: () => c.end() };
  };
}
