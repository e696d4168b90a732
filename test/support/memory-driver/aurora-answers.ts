/**
 * The dialect hook: what an Aurora PostgreSQL instance answers to the exact SQL texts the
 * dialects send (src/dialects/sql.ts, read from there so the two cannot drift), from the
 * scripted state. Detection finds Aurora PostgreSQL (plain `version()`, then `rds.extensions`);
 * any other catalogue probe is a definite "no" (SQLSTATE 42883, undefined function), as on a
 * real server without that flavour's metadata.
 */
import { AURORA_PG, PLAIN_PG } from '../../../src/dialects/sql.js';
import type { MemoryCluster, MemoryInstance } from './cluster-script.js';

export type Answer = { readonly rows: unknown[][] } | { readonly error: Error };

/** A PostgreSQL-shaped server error (pg's DatabaseError carries `code`, the SQLSTATE). */
export function sqlError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** The answer to one of the dialects' queries, or undefined when `sql` is not one of them. */
export function dialectAnswer(
  cluster: MemoryCluster,
  instance: MemoryInstance,
  sql: string,
): Answer | undefined {
  switch (sql) {
    case PLAIN_PG.detect:
      return { rows: [['PostgreSQL 16.4 (aurora-ha memory driver)']] };
    case AURORA_PG.detect:
      return { rows: [[true]] };
    case AURORA_PG.topology:
      return {
        rows: cluster.viewOf(instance).map((r) => [r.id, r.isWriter, 1.5, r.lagMs, new Date(r.lastUpdate)]),
      };
    case AURORA_PG.instanceId:
      return { rows: [[instance.id]] };
    case AURORA_PG.writerCheck: {
      // The instance's own metadata: the writer row names it only on the writer itself.
      return { rows: instance.role === 'writer' ? [[instance.id]] : [] };
    }
    case AURORA_PG.isReader:
    case PLAIN_PG.isReader:
      return { rows: [[instance.role === 'reader']] };
    default:
      return undefined;
  }
}

/** Catalogue probes of other flavours (Multi-AZ, replica cluster): "no such function". */
export function isCatalogueProbe(sql: string): boolean {
  return /rds_tools|pg_stat_replication|information_schema\.routines/i.test(sql);
}
