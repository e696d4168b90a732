/**
 * What the pg Client's query dispatch decides from: the shape of a call (a submittable, a lone
 * BEGIN) and of a failover outcome (the connection moved; the statement never reached a server).
 */
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../core/errors.js';

/** What pg accepts as a submittable (pg.Query, pg-cursor, pg-query-stream). */
export interface Submittable {
  submit(connection: unknown): void;
}

export function isSubmittable(x: unknown): x is Submittable {
  return typeof x === 'object' && x !== null && typeof (x as { submit?: unknown }).submit === 'function';
}

/** A lone `BEGIN` / `START TRANSACTION` (with its modes), nothing else in the text. */
const TRANSACTION_START = /^\s*(?:begin|start\s+transaction)\b[^;]*;?\s*$/i;

/** The call is a lone transaction start (a retry after a move is harmless: it changed nothing). */
export function opensTransactionOnly(config: unknown): boolean {
  const text =
    typeof config === 'string'
      ? config
      : typeof config === 'object' && config !== null
        ? (config as { text?: unknown }).text
        : undefined;
  return typeof text === 'string' && TRANSACTION_START.test(text);
}

/** A failover outcome after which the client works on a new connection. */
export function leftConnectionMoved(err: unknown): boolean {
  return err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError;
}

/** The same failover outcome, saying that the statement never reached a server. */
export function markNeverSent(err: unknown): never {
  if (err instanceof FailoverSuccessError && err.statementSent) {
    throw new FailoverSuccessError(err.newHost, { cause: err.cause, statementSent: false });
  }
  if (err instanceof TransactionResolutionUnknownError && err.statementSent) {
    throw new TransactionResolutionUnknownError(err.newHost, { cause: err.cause, statementSent: false });
  }
  throw err;
}
